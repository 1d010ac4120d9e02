import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir } from '../deploy/helpers.js';

test('verify --measure --json: measured p50/p99/cost beside the plan\'s prediction and their ratios, with the load; needs plan.json', async () => {
  const d = tmpDir('verify-measure');
  try {
    assert.equal((await runCli(['zoo', 'build', 'mobilenetv2', '--tiny', '-o', join(d, 'm.onnx')])).code, 0);
    const p = await runCli(['partition', join(d, 'm.onnx'), '-o', join(d, 'parts'), '--strategy', 'uniform:2', '--slo-ms', '1000', '--runs', '1']);
    assert.equal(p.code, 0, p.stderr);
    const r = await runCli(['verify', join(d, 'm.onnx'), join(d, 'parts'), '--measure', '--requests', '20', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { ok: boolean; requests: number; errors: number; measured: Record<string, number>; predicted: { latencyMs: number; p99Ms: number | null; costPerMillionUSD: number }; ratio: { p50: number; cost: number }; load: { cores: number } };
    assert.equal(j.ok, true);
    assert.equal(j.requests, 20);
    assert.equal(j.errors, 0);
    assert.ok(j.measured.p50Ms! > 0 && j.measured.p99Ms! >= j.measured.p50Ms!, JSON.stringify(j.measured));
    assert.ok(j.measured.costPerMillionUSD! > 0);
    assert.ok(Math.abs(j.ratio.p50 - j.measured.p50Ms! / j.predicted.latencyMs) < 1e-9);
    assert.ok(Math.abs(j.ratio.cost - j.measured.costPerMillionUSD! / j.predicted.costPerMillionUSD) < 1e-9);
    assert.ok(j.load.cores >= 1);
    const text = await runCli(['verify', join(d, 'm.onnx'), join(d, 'parts'), '--measure', '--requests', '5']);
    assert.match(text.stdout, /measured ÷ predicted/);
  } finally {
    cleanup(d);
  }
});
