/**
 * `bench --fleet --quick` (issue 30): both sides served on the same arrivals, the report's structure, and every
 * variant's answer allclose to its own unsplit model on both sides. No speed or cost figure is asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_QUICK, fleetJson, runFleetBench, writeFleetReport, type FleetBenchReport } from '../../src/bench/index.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

test('bench --fleet --quick: separate vs fleet on the same arrivals, a complete report, answers allclose', async () => {
  const out = tmpDir('bench-fleet');
  try {
    const r = await runFleetBench({
      out, model: 'resnet50', tiny: true, quick: true, variants: 2, platform: 'gcp-cloud-run', ratePerSec: FLEET_QUICK.ratePerSec,
      durationMs: 3000, maxRequests: 50, sloMs: FLEET_QUICK.sloMs, keepWarmMs: FLEET_QUICK.keepAliveS * 1000, seed: 1,
    });
    writeFleetReport(out, r);
    assert.equal(r.kind, 'mopar.bench.fleet');
    assert.equal(r.separate.requests, r.fleet.requests, 'the same arrivals on both sides');
    assert.ok(r.separate.requests > 0);
    for (const s of [r.separate, r.fleet]) {
      assert.equal(s.answered, s.requests, `${s.side}: every request answered`);
      assert.ok(s.costPerRequestUSD > 0 && s.coldStarts >= 1 && s.memoryMBs > 0, JSON.stringify(s));
    }
    assert.equal(r.separate.sharedColdStarts, 0);
    assert.ok(r.fleet.sharedColdStarts >= 1);
    assert.equal(r.layout, 'switch');
    assert.equal(r.fleet.functions, 1, 'one function holds the shared part and every variant\'s own');
    assert.equal(r.fleet.sharedColdStarts, r.fleet.coldStarts, 'every start is of the one shared function');
    assert.ok(r.sharedFraction > 0 && r.sharedFraction < 1);
    assert.deepEqual(r.answers.map((a) => [a.variant, a.separateOk, a.fleetOk]), [['v0', true, true], ['v1', true, true]]);
    for (const k of ['cost', 'coldStarts', 'memory'] as const) assert.ok(Number.isFinite(r.ratios[k]), k);
    // `bench --fleet --json` (the outside contract): `fleet` rows per strategy.
    const rows = (fleetJson(r) as { fleet: Array<Record<string, unknown>> }).fleet;
    assert.deepEqual(rows.map((x) => x.strategy), ['separate', 'shared']);
    for (const [x, side] of [[rows[0]!, r.separate], [rows[1]!, r.fleet]] as const) {
      assert.equal(x.costPerMillionUSD, side.costPerRequestUSD * 1e6);
      for (const k of ['coldStarts', 'sloAttainment', 'memoryMBs'] as const) assert.equal(x[k], side[k], k);
    }
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as FleetBenchReport;
    assert.equal(json.fleet.requests, r.fleet.requests);
    assert.ok(existsSync(join(out, 'report.md')));
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /## How the advantage grows/);
  } finally {
    cleanup(out);
  }
});
