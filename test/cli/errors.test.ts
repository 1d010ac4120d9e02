/** CONTRACTS.md errors: a bad file or flag → exactly one stderr line `mopar: error: ...`, exit 2, no stack. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, saveModel } from '../../src/graph/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli, type CliResult } from './run-cli.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-cli-'));
  const good = encodeModel(fixture('conv-chain').build());
  writeFileSync(join(dir, 'text.onnx'), 'this is plain text, not a model\n');
  writeFileSync(join(dir, 'png.onnx'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
  writeFileSync(join(dir, 'truncated.onnx'), good.subarray(0, Math.floor(good.length / 2)));
  writeFileSync(join(dir, 'empty.onnx'), '');
  mkdirSync(join(dir, 'folder.onnx'));
  const future = fixture('conv-chain').build();
  future.opsetImport[0]!.version = 27n;
  writeFileSync(join(dir, 'opset27.onnx'), encodeModel(future));
  const ancient = fixture('conv-chain').build();
  ancient.opsetImport[0]!.version = 5n;
  writeFileSync(join(dir, 'opset5.onnx'), encodeModel(ancient));
  const noDefault = fixture('conv-chain').build();
  noDefault.opsetImport = [{ $typeName: 'onnx.OperatorSetIdProto', domain: 'com.example', version: 1n }];
  writeFileSync(join(dir, 'no-opset.onnx'), encodeModel(noDefault));
  const dangling = fixture('conv-chain').build();
  dangling.graph!.node[1]!.input[0] = 'nobody_makes_this';
  writeFileSync(join(dir, 'dangling.onnx'), encodeModel(dangling));
  saveModel(fixture('conv-chain').build(), join(dir, 'ok.onnx'));
  saveModel(fixture('symbolic-seq').build(), join(dir, 'seq.onnx'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertUsageError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  // Progress lines ('[1/6] ...') may precede the error on stderr; the error itself is one line, and the last.
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !/^\[\d+\/\d+\] /.test(l));
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^mopar: error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error: |node:internal/, 'no stack trace');
}

const cases: Array<[string, () => string[], RegExp]> = [
  ['a text file', () => ['inspect', join(dir, 'text.onnx')], /text\.onnx (is not an ONNX model|is truncated or corrupt)/],
  ['a PNG file', () => ['inspect', join(dir, 'png.onnx')], /png\.onnx (is not an ONNX model|is truncated or corrupt)/],
  ['a truncated file', () => ['inspect', join(dir, 'truncated.onnx')], /truncated\.onnx is truncated or corrupt/],
  ['an empty file', () => ['inspect', join(dir, 'empty.onnx')], /model file is empty: .*empty\.onnx/],
  ['a missing file', () => ['inspect', join(dir, 'missing.onnx')], /model file not found: .*missing\.onnx/],
  ['a directory', () => ['inspect', join(dir, 'folder.onnx')], /got a directory: .*folder\.onnx/],
  ['an opset newer than onnxruntime runs', () => ['inspect', join(dir, 'opset27.onnx')], /uses opset 27; mopar supports opsets 7–26/],
  ['an opset older than supported', () => ['inspect', join(dir, 'opset5.onnx')], /uses opset 5; mopar supports opsets 7–26/],
  ['no default-domain opset', () => ['inspect', join(dir, 'no-opset.onnx')], /declares no opset for the default ONNX domain/],
  ['a node reading an undefined tensor', () => ['inspect', join(dir, 'dangling.onnx')], /nobody_makes_this/],
  ['an unknown flag', () => ['inspect', '--bogus', join(dir, 'ok.onnx')], /unknown option '--bogus'/],
  ['a missing argument', () => ['inspect'], /missing required argument 'model'/],
  ['an unknown verb', () => ['frobnicate'], /unknown command 'frobnicate'/],
  // A verb that runs the model (profile) with a symbolic dim nobody fixed, and with a malformed --input.
  ['an unresolved symbolic dim', () => ['profile', join(dir, 'seq.onnx')], /input 'input_ids' has symbolic dim 1 \('sequence'\); fix it with --input input_ids=1,N/],
  ['a malformed --input', () => ['profile', join(dir, 'seq.onnx'), '--input', 'input_ids=1,x'], /--input input_ids: dims must be positive integers, got '1,x'/],
];

describe('CLI error paths', { concurrency: 2 }, () => {
  for (const [what, args, pattern] of cases) {
    it(`${what} → one line, exit 2`, async () => assertUsageError(await runCli(args(), { MOPAR_CACHE_DIR: join(dir, 'cache') }), pattern));
  }

  it('--debug adds the stack trace (and only then)', async () => {
    const r = await runCli(['inspect', '--debug', join(dir, 'empty.onnx')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^mopar: error: model file is empty/);
    assert.match(r.stderr, /\n\s+at /);
  });

  it('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /inspect/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});
