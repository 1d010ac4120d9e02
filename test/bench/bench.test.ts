import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, geomean, noiseFloor, runBench, type BenchRow } from '../../src/bench/index.js';
import { LOADED_RATIO } from '../../src/core/load.js';

function row(model: string, strategy: string, cost: number, p50: number, eff: number, extra: Partial<BenchRow> = {}): BenchRow {
  return {
    model, category: 'x', tiny: true, platform: 'p', strategy, functions: 1, subSlices: 0, planMs: 1, sloMs: 10,
    verify: { ok: true, maxRelErr: 0, maxAbsErr: 0 },
    predicted: { latencyMs: p50, costPerMillionUSD: cost, efficiency: eff },
    measured: {
      requests: 3, errors: 0, p50Ms: p50, p95Ms: p50, coldStartMs: 1, costPerMillionUSD: cost, efficiency: eff, commShare: 0,
      functions: [{ name: 's00', group: 'g00', memoryMB: strategy.length * 100, vcpu: 1, durationMs: p50, peakRssMB: 50 }],
    },
    ...extra,
  };
}

test('summary: geomeans of measured ratios, cheapest count, failed cells ignored', () => {
  const rows = [
    row('a', 'unsplit', 4, 10, 0.5), row('a', 'mopar', 1, 5, 0.9), row('a', 'layerwise', 2, 20, 0.7),
    row('b', 'unsplit', 9, 10, 0.5), row('b', 'mopar', 1, 20, 0.7), row('b', 'layerwise', 0.5, 20, 0.7),
    row('c', 'unsplit', 1, 1, 1), row('c', 'mopar', 1, 1, 1, { error: 'boom' }),
  ];
  const s = summarize(rows).p!;
  assert.ok(Math.abs(s.costRatioGeomean - Math.sqrt(4 * 9)) < 1e-9);
  assert.ok(Math.abs(s.latencyRatioGeomean - Math.sqrt(0.5 * 2)) < 1e-9);
  assert.ok(Math.abs(s.efficiencyMean - 0.8) < 1e-9);
  assert.equal(s.cheapestModels, 1, 'mopar is cheapest on a, not on b (layerwise is cheaper)');
  assert.equal(s.models, 2);
  assert.ok(Number.isNaN(geomean([])));
  // 'amps' deployed exactly what 'mopar' deployed: a cheaper measurement of an identical deployment is noise, so
  // mopar still counts as cheapest on model d; a different deployment that is cheaper is not a tie.
  const moparD = row('d', 'mopar', 1, 5, 0.9);
  const ampsD: BenchRow = { ...structuredClone(moparD), strategy: 'amps' };
  ampsD.measured.costPerMillionUSD = 0.9;
  assert.equal(summarize([row('d', 'unsplit', 3, 10, 0.5), moparD, ampsD]).p!.cheapestModels, 1);
  ampsD.measured.functions[0]!.memoryMB = 64;
  assert.equal(summarize([row('d', 'unsplit', 3, 10, 0.5), moparD, ampsD]).p!.cheapestModels, 0);
});

test('noise floor: spread between cells that deployed identical functions, other pairs ignored', () => {
  const a = row('a', 'mopar', 1, 10, 0.5);
  const twin: BenchRow = { ...structuredClone(a), strategy: 'amps' };
  twin.measured.costPerMillionUSD = 1.2;
  twin.measured.p50Ms = 15;
  const b = row('b', 'mopar', 2, 10, 0.5);
  const bTwin: BenchRow = { ...structuredClone(b), strategy: 'unsplit' };
  const n = noiseFloor([a, twin, row('a', 'unsplit', 5, 50, 0.5), b, bTwin, row('c', 'mopar', 9, 9, 1)])!;
  assert.equal(n.pairs, 2);
  assert.ok(Math.abs(n.costDiffMax - 0.2) < 1e-9);
  assert.ok(Math.abs(n.p50DiffMax - 0.5) < 1e-9);
  assert.ok(Math.abs(n.costDiffMedian - 0.1) < 1e-9, 'median of 0 and 0.2');
  assert.equal(noiseFloor([a, row('a', 'unsplit', 5, 50, 0.5)]), undefined);
});

test('bench smoke run: one tiny model, two strategies, measured on the embedded runtime, report written and resumable', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mopar-bench-'));
  try {
    const opts = { out, models: ['resnet50:tiny'], platforms: ['gcp-cloud-run'], strategies: ['unsplit', 'mopar'], warmRequests: 3, coldRequests: 1 };
    const report = await runBench(opts);
    assert.equal(report.rows.length, 2);
    for (const r of report.rows) {
      assert.equal(r.error, undefined, `cell ${r.strategy} failed: ${r.error}`);
      assert.ok(r.verify.ok && r.verify.maxRelErr <= 1e-4);
      assert.equal(r.measured.errors, 0);
      assert.equal(r.measured.requests, 3);
      assert.ok(r.measured.p50Ms > 0 && r.measured.costPerMillionUSD > 0);
      assert.ok(r.measured.functions.every((f) => f.durationMs > 0 && f.peakRssMB > 0));
      assert.ok(r.load && r.load.cores > 0 && r.load.loadAvg >= 0, 'each cell records the load it was measured under');
      assert.equal(r.load.loaded, r.load.loadAvg / r.load.cores > LOADED_RATIO);
    }
    // The report says so when cells were measured on a loaded machine, and stays silent otherwise.
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.equal(/cells were measured on a loaded machine/.test(md), report.rows.some((r) => r.load?.loaded));
    const s = report.summary['gcp-cloud-run']!;
    assert.ok(s.costRatioGeomean > 0 && Number.isFinite(s.latencyRatioGeomean));
    for (const f of ['report.json', 'report.md', 'report.html', 'charts/cost-gcp-cloud-run.png']) {
      assert.ok(existsSync(join(out, f)) && statSync(join(out, f)).size > 0, `${f} written`);
    }
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.ok(json.summary['gcp-cloud-run'].costRatioGeomean > 0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<table>[\s\S]*<td>resnet50-tiny<\/td>/, 'the tables are HTML tables');
    assert.doesNotMatch(html, /<pre>/);
    // A second run reuses the measured cells instead of measuring again.
    const again = await runBench(opts);
    assert.deepEqual(again.rows.map((r) => r.measured.p50Ms), report.rows.map((r) => r.measured.p50Ms));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
