import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minScaleFor } from '../../src/deploy/scale.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeBranchyDir } from './helpers.js';

test('min-scale: 0 where the plan predicts a cold request within its SLO, 1 where it would miss it, as asked otherwise', async () => {
  const d = tmpDir('scale');
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    assert.equal(minScaleFor(built.dir).minScale, 1, 'no plan.json: kept warm, said why');
    assert.match(minScaleFor(built.dir).why, /no plan\.json/);
    // The model in-process (`zoo build` has tests of its own); a profile without the RSS and CPU-scaling passes.
    writeZooModel('mobilenetv2', join(d, 'm.onnx'), { tiny: true });
    const r = await runCli(['partition', join(d, 'm.onnx'), '-o', join(d, 'parts'), '--slo-ms', '100000', '--runs', '1', '--no-rss', '--no-cpu-scaling']);
    const parts = r.code === 0 ? join(d, 'parts') : undefined;
    if (!parts) assert.fail(`partition failed: ${r.stderr}`);
    const planPath = join(parts, 'plan.json');
    const plan = JSON.parse(readFileSync(planPath, 'utf8')) as { sloMs: number; coldSloMs?: number; predicted: { coldLatencyMs: number } };
    assert.ok(plan.predicted.coldLatencyMs < 100_000);
    assert.deepEqual(minScaleFor(parts).minScale, 0);
    writeFileSync(planPath, JSON.stringify({ ...plan, coldSloMs: plan.predicted.coldLatencyMs / 2 }));
    const warm = minScaleFor(parts);
    assert.equal(warm.minScale, 1);
    assert.match(warm.why, /over the cold-request SLO/);
    assert.equal(minScaleFor(parts, 3).minScale, 3);
    const out = await runCli(['deploy', parts, '--target', 'knative', '-o', join(d, 'kn')]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(readFileSync(join(d, 'kn', 'knative.yaml'), 'utf8'), /min-scale: "1"/);
    assert.match(readFileSync(join(d, 'kn', 'README.md'), 'utf8'), /## Scaling[\s\S]*over the cold-request SLO/);
  } finally {
    cleanup(d);
  }
});
