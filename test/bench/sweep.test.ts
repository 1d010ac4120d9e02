import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeParallelParts } from './parallel-parts.js';
import { measureInterleaved, memoryChart, memoryTrack, planSweep, predictionRatios, runSweep, sloLadder, splitBoundRatio, stepVerdicts, writeSweepReport, type SweepReport, type SweepRow } from '../../src/bench/index.js';
import { getPlatform, physicalFloor } from '../../src/plan/index.js';
import { syntheticProfile } from '../plan/synthetic.js';
import { writeToyManifest } from '../runtime/helpers.js';

test('SLO ladder: geometric from the fastest to the loosest, both ends included', () => {
  assert.deepEqual(sloLadder(10, 40, 3), [10, 20, 40]);
  assert.deepEqual(sloLadder(10, 40, 1), [40]);
  assert.throws(() => sloLadder(0, 40, 3), /0 < lo/);
});

test('a model over Lambda\'s 10,240 MB: unsplit cannot be planned, mopar splits it, the split bound is unbounded', () => {
  const big = syntheticProfile([
    { ms: 40, paramMB: 6000, actMB: 1, cutBytes: 4096 },
    { ms: 40, paramMB: 6000, actMB: 1, cutBytes: 4 },
  ]);
  const { slos, cells } = planSweep(big, 'aws-lambda', ['unsplit', 'mopar'], 3);
  assert.equal(slos.length, 3);
  for (const c of cells.filter((x) => x.strategy === 'unsplit')) {
    assert.equal(c.plan, undefined);
    assert.match(c.error ?? '', /memory|MB/);
  }
  const loosest = cells.find((x) => x.strategy === 'mopar' && x.step === 2)!;
  assert.ok(loosest.plan?.sloMet && loosest.plan.functions.length >= 2, 'mopar meets the loosest SLO with a split');
  assert.equal(splitBoundRatio(big, getPlatform('aws-lambda')), Infinity);
  // On OpenFaaS (15 GiB) the same model fits one function, so the bound is finite.
  assert.ok(Number.isFinite(splitBoundRatio(big, getPlatform('openfaas'))));
});

test('split bound: the function that holds the heaviest layer pays a granule at a size that holds it', () => {
  // 2 GB of tables read in 1 ms, then 2 ms of MLP. On Cloud Run (100 ms granules; over 1 GiB needs a whole vCPU) the
  // tables' function pays a whole-vCPU granule whatever the split, plus a second function's granule and fee: no
  // split can pay (the bound counted both granules at the smallest size before, and claimed 2.65).
  const tables = syntheticProfile([
    { ms: 1, paramMB: 2000, actMB: 1, cutBytes: 4096, op: 'Gather' },
    { ms: 2, paramMB: 1, actMB: 1, cutBytes: 4, op: 'MatMul' },
  ]);
  const run = getPlatform('gcp-cloud-run');
  const split = physicalFloor(tables, run);
  assert.ok(split.heaviestGranuleUSD > split.granuleUSD, 'holding 2 GB costs more per granule than the smallest live set');
  assert.ok(splitBoundRatio(tables, run) < 1, `bound ${splitBoundRatio(tables, run)}`);
  // Where compute is long and memory is billed apart from it, a split can still pay: the tables are held for 2 ms,
  // not for the 500 ms of MLP.
  const heavy = syntheticProfile([
    { ms: 2, paramMB: 3000, actMB: 1, cutBytes: 4096, op: 'Gather' },
    { ms: 500, paramMB: 5, actMB: 1, cutBytes: 4, op: 'MatMul' },
  ]);
  assert.ok(splitBoundRatio(heavy, getPlatform('openfaas')) > 1.2, `bound ${splitBoundRatio(heavy, getPlatform('openfaas'))}`);
});

test('memory track: mopar\'s functions hold only their own weights, cuts where a new function starts', () => {
  const big = syntheticProfile([
    { ms: 40, paramMB: 6000, actMB: 1, cutBytes: 4096 },
    { ms: 40, paramMB: 6000, actMB: 30, cutBytes: 4 },
  ]);
  const { cells } = planSweep(big, 'aws-lambda', ['mopar'], 2);
  const plan = cells.find((c) => c.step === 1)!.plan!;
  const t = memoryTrack(big, 'aws-lambda', plan, 1);
  assert.deepEqual(t.activationMB, [1, 30], 'activation peaks per layer');
  assert.equal(t.weightsMB, 12000);
  assert.deepEqual(t.cuts, [0], 'one cut between the two layers');
  assert.deepEqual(t.moparResidentMB, [6000, 6000]);
  const none = memoryTrack(big, 'aws-lambda', undefined, null);
  assert.deepEqual(none.cuts, []);
  assert.ok(none.moparResidentMB.every((x) => Number.isNaN(x)));
  // The chart has one panel per model with the cut rule in it.
  const spec = memoryChart({ memory: [t] } as unknown as SweepReport, 'aws-lambda') as unknown as { concat: Array<{ layer: Array<{ data: { values: unknown[] } }> }> };
  assert.equal(spec.concat.length, 1);
  assert.deepEqual(spec.concat[0]!.layer[2]!.data.values, [{ cut: 1 }]);
});

test('prediction ratios: medians of measured ÷ predicted p50 and cost over measured cells only', () => {
  const rows = [cell('mopar', 0, 2), cell('unsplit', 0, 1), cell('gillis', 0, 4), cell('layerwise', 0, null, false)];
  rows[0]!.measured!.p50Ms = 10;
  const r = predictionRatios(rows);
  assert.equal(r.cells, 3);
  assert.equal(r.cost, 2, 'costs 2, 1, 4 against predicted 1');
  assert.equal(r.p50, 1, 'p50s 10, 5, 5 against predicted 5');
});

function cell(strategy: string, step: number, cost: number | null, feasible = true): SweepRow {
  return {
    model: 'm', platform: 'p', step, sloMs: 10 * (step + 1), strategy, feasible, predictedSloMet: feasible, measuredSloMet: cost === null ? null : feasible,
    functions: 1, subSlices: 0, deployment: cost === null ? null : 0,
    predicted: { latencyMs: 5, p50Ms: 5, p99Ms: null, costPerMillionUSD: 1 },
    measured: cost === null ? null : { costPerMillionUSD: cost, p50Ms: 5, p95Ms: 6, p99Ms: 7, coldStartMs: NaN, requests: 3, errors: 0 },
    floorPerMillionUSD: 0.5, verify: { ok: true, maxRelErr: 0 },
  };
}

test('step verdicts: mopar against the cheapest baseline meeting the same SLO, median and max noise as slack', () => {
  const report = {
    noise: { pairs: 3, costDiffMedian: 0.02, costDiffMax: 0.2, p50DiffMedian: 0, p50DiffMax: 0 },
    sweep: [
      cell('mopar', 0, 2), cell('unsplit', 0, null, false), cell('gillis', 0, 3),
      cell('mopar', 1, 1.01), cell('unsplit', 1, 1), cell('layerwise', 1, 0.9, false),
      cell('mopar', 2, 1.1), cell('unsplit', 2, 1),
    ],
  } as unknown as SweepReport;
  const v = stepVerdicts(report);
  // 1.01 vs 1 is within the median noise (2 %); 1.1 vs 1 is not, but is within the max (20 %).
  assert.deepEqual(v.map((x) => x.moparCheapest), [true, true, false]);
  assert.deepEqual(v.map((x) => x.withinMaxNoise), [true, true, true]);
  assert.deepEqual(v.map((x) => x.best?.strategy), ['gillis', 'unsplit', 'unsplit'], 'an infeasible cell is no baseline');
  assert.equal(v[0]!.unsplitFeasible, false);
  assert.equal(v[0]!.moparOverFloor, 4);
});

test('bench --sweep --quick machinery on one tiny model: ladder, dedup, interleaved measurement, floor, report', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'mopar-sweep-'));
  try {
    // Before each pass the sweep waits (≤ 60 s) for the load average to drop under the core count; the test suite
    // (2 files at a time) keeps it above, so every pass would wait the full 60 s. The machine reads as idle here.
    const idle = mock.method(os, 'loadavg', () => [0, 0, 0]);
    syncBuiltinESMExports();
    const report = await runSweep({ out, models: ['resnet50:tiny'], platforms: ['gcp-cloud-run'], strategies: ['unsplit', 'mopar', 'layerwise'], quick: true, warmRequests: 3 })
      .finally(() => { idle.mock.restore(); syncBuiltinESMExports(); });
    assert.equal(report.config.steps, 2);
    const rows = report.sweep;
    assert.equal(rows.length, 2 * 3);
    const slos = [...new Set(rows.map((r) => r.sloMs))];
    assert.equal(slos.length, 2);
    assert.ok(slos[0]! < slos[1]!, 'the ladder rises');
    for (const r of rows) {
      assert.ok(r.floorPerMillionUSD > 0);
      // Feasible is judged on measurement: measured, and its measured p50 within the SLO.
      assert.equal(r.feasible, r.measuredSloMet === true);
      if (r.measured) assert.equal(r.measuredSloMet, r.measured.p50Ms <= r.sloMs, `${r.strategy} step ${r.step}: judged on its measured p50`);
      if (!r.predictedSloMet) { assert.equal(r.measured, null); assert.equal(r.measuredSloMet, null); continue; }
      assert.ok(r.load && r.load.cores > 0, 'the load while it was measured');
      assert.equal(r.coldLoad, undefined, 'a --quick sweep sends no cold requests, so it has no cold-request load');
      assert.ok(r.predicted.latencyMs <= r.sloMs + 1e-3, `${r.strategy} step ${r.step} predicted within its SLO`);
      assert.ok(r.measured && r.measured.p50Ms > 0 && r.measured.p99Ms >= r.measured.p50Ms && r.measured.costPerMillionUSD > 0, `${r.strategy} step ${r.step} measured`);
      assert.ok(r.verify?.ok, `${r.strategy} step ${r.step} verified`);
      // No plan is predicted below the physical floor (measured bills can be, where the profile was slower than serving).
      assert.ok(r.predicted.costPerMillionUSD >= r.floorPerMillionUSD * (1 - 1e-6), `${r.strategy}: ${r.predicted.costPerMillionUSD} ≥ floor ${r.floorPerMillionUSD}`);
    }
    // The loosest step is at least the unsplit function's 1-vCPU latency, so unsplit meets it.
    assert.ok(rows.find((r) => r.step === 1 && r.strategy === 'unsplit')!.predictedSloMet, 'unsplit is predicted to meet the loosest SLO');
    // Identical plans share one measured deployment (same numbers), different plans do not.
    const byDeployment = new Map<number, SweepRow[]>();
    for (const r of rows) if (r.deployment !== null) byDeployment.set(r.deployment, [...(byDeployment.get(r.deployment) ?? []), r]);
    for (const same of byDeployment.values()) assert.ok(same.every((r) => r.measured!.p50Ms === same[0]!.measured!.p50Ms), 'one measurement per deployment');
    assert.equal(report.noise?.pairs, 1, `the control pair gives a noise floor: ${JSON.stringify(report.noise)}`);
    assert.equal(report.splitBound.length, 1);
    assert.ok(report.splitBound[0]!.boundRatio > 0, `split bound ${report.splitBound[0]!.boundRatio}`);
    await writeSweepReport(out, report);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<table>/, 'tables are HTML tables');
    assert.doesNotMatch(html, /<pre>/);
    assert.match(html, /<svg/);
    assert.equal(report.memory?.length, 1, 'one memory track per model × platform');
    assert.ok(existsSync(join(out, 'charts', 'memory-gcp-cloud-run.png')), 'memory timeline PNG');
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /median p50 [\d.]+, median cost [\d.]+/);
    const json = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepReport;
    assert.equal(json.sweep.length, rows.length);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a deployment whose requests fail is reported with the reason; the others are still measured', async () => {
  const d = mkdtempSync(join(tmpdir(), 'mopar-sweep-fail-'));
  try {
    for (const sub of ['good', 'bad']) mkdirSync(join(d, sub));
    const good = await writeToyManifest(join(d, 'good'));
    // The pass sends every deployment the first one's inputs: [1, 16]; this one takes [1, 32], so each of its
    // requests fails (HTTP 400), as a cell whose instance runs out of memory fails with a 502.
    const bad = await writeToyManifest(join(d, 'bad'), 'inline', 32);
    // 6 warm requests: a turn of WARM_BLOCK (4) back-to-back requests, then a shorter one of 2.
    const { measured: [ok, broken], load } = await measureInterleaved([good.dir, bad.dir], [true, true], getPlatform('aws-lambda'), 6, 0, undefined, 0);
    assert.ok(load.cores >= 1 && load.loadAvg >= 0, 'the load seen while measuring');
    assert.equal(ok!.requests, 6);
    assert.equal(ok!.errors, 0);
    assert.ok(ok!.costPerMillionUSD > 0);
    assert.equal(broken!.requests, 0);
    assert.match(broken!.firstError ?? '', /warm-up failed: HTTP 400: .*'x'/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a deployment whose instance cannot start is reported with the reason; the others are still measured', async () => {
  const d = mkdtempSync(join(tmpdir(), 'mopar-sweep-nostart-'));
  try {
    for (const sub of ['good', 'bad']) mkdirSync(join(d, sub));
    const good = await writeToyManifest(join(d, 'good'));
    const bad = await writeToyManifest(join(d, 'bad'));
    // A file that passes the manifest's checksum but is no ONNX model: the instance fails as it loads it.
    const manifestPath = join(bad.dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { functions: Array<{ file: string; sha256: string }> };
    for (const f of manifest.functions) {
      writeFileSync(join(bad.dir, f.file), 'not an onnx file');
      f.sha256 = createHash('sha256').update('not an onnx file').digest('hex');
    }
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const { measured: [ok, broken] } = await measureInterleaved([good.dir, bad.dir], [true, true], getPlatform('aws-lambda'), 3, 0, undefined, 0);
    assert.equal(ok!.requests, 3);
    assert.equal(broken!.requests, 0);
    assert.match(broken!.firstError ?? '', /warm-up failed: function .* could not start/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('the sweep composes parallel sub-slices that need more cores than it has, and validates the composition where they fit', { timeout: 120_000 }, async () => {
  const d = mkdtempSync(join(tmpdir(), 'mopar-sweep-compose-'));
  try {
    const { parts } = await writeParallelParts(d);
    const { measured: [composed] } = await measureInterleaved([parts], [true], getPlatform('aws-lambda'), 4, 0, 1, 0);
    assert.equal(composed!.measuredAs, 'composed');
    assert.equal(composed!.billedFrom, 'one-at-a-time');
    assert.equal(composed!.requests, 4);
    assert.ok(composed!.p50Ms > 0 && composed!.p99Ms >= composed!.p50Ms, JSON.stringify(composed));
    assert.equal(composed!.p50Ms, composed!.composition!.p50Ms);
    assert.equal(composed!.composition!.validation, undefined);
    const { measured: [served] } = await measureInterleaved([parts], [true], getPlatform('aws-lambda'), 4, 0, 64, 0);
    assert.equal(served!.measuredAs, 'served');
    const v = served!.composition!.validation!;
    assert.equal(v.servedP50Ms, served!.p50Ms);
    assert.ok(v.composedP50Ms > 0 && v.ratio === v.servedP50Ms / v.composedP50Ms, JSON.stringify(v));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
