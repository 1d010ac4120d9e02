/** plan / partition reject an unknown platform or strategy when parsing flags, before any (slow) profiling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const model = join(import.meta.dirname, '..', 'fixtures', 'exported', 'crnn.onnx');
const dir = mkdtempSync(join(tmpdir(), 'mopar-early-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('unknown --platform / --strategy: one error line, exit 2, nothing profiled or written', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['partition', model, '-o', join(dir, 'p'), '--platform', 'aws-lamda'], /^mopar: error: unknown platform 'aws-lamda' \(known: aws-lambda/],
    [['plan', model, '--strategy', 'unifrm:3'], /^mopar: error: unknown strategy 'unifrm:3'/],
    [['partition', model, '-o', join(dir, 'p'), '--strategy', 'uniform:0'], /^mopar: error: .*uniform/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args, { MOPAR_CACHE_DIR: join(dir, 'cache') });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /profile \[/, 'profiling started');
  }
  assert.ok(!existsSync(join(dir, 'p')) && !existsSync(join(dir, 'cache')), 'nothing written: shapes were never inferred');
});
