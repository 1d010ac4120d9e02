import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeZooModel } from '../../src/zoo/index.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir } from '../deploy/helpers.js';

test('partition --profile FILE plans from a saved profile (no re-profiling, the same measurements); a missing one is exit 2', async () => {
  const d = tmpDir('profile-reuse');
  try {
    // The model in-process (`zoo build` has tests of its own); a profile without the RSS and CPU-scaling passes.
    writeZooModel('mobilenetv2', join(d, 'm.onnx'), { tiny: true });
    const first = await runCli(['partition', join(d, 'm.onnx'), '-o', join(d, 'a'), '--slo-ms', '1000', '--runs', '1', '--no-rss', '--no-cpu-scaling']);
    assert.equal(first.code, 0, first.stderr);
    const again = await runCli(['partition', join(d, 'm.onnx'), '--profile', join(d, 'a', 'profile.json'), '--slo-ms', '1000', '-o', join(d, 'b')]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /profile \[1\//, 'no profiling step ran');
    assert.deepEqual(JSON.parse(readFileSync(join(d, 'b', 'profile.json'), 'utf8')), JSON.parse(readFileSync(join(d, 'a', 'profile.json'), 'utf8')));
    const plan = (p: string) => JSON.parse(readFileSync(join(d, p, 'plan.json'), 'utf8')) as { functions: unknown[]; predicted: unknown };
    assert.deepEqual(plan('b').functions, plan('a').functions);
    const missing = await runCli(['partition', join(d, 'm.onnx'), '--profile', join(d, 'nowhere.json'), '-o', join(d, 'c')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^mopar: error: profile file not found/);
  } finally {
    cleanup(d);
  }
});
