import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionClass, promiseCheck } from '../../src/bench/index.js';
import type { SweepReport, SweepRow } from '../../src/bench/index.js';

function row(over: Partial<SweepRow> & { cost?: number; p50?: number; loadAvg?: number }): SweepRow {
  const { cost = 1, p50 = 5, loadAvg = 1, ...rest } = over;
  return {
    model: 'm', platform: 'p', step: 0, sloMs: 10, strategy: 'unsplit', feasible: true, predictedSloMet: true, measuredSloMet: true,
    functions: 1, subSlices: 0, deployment: 0,
    predicted: { latencyMs: 5, p50Ms: 5, p99Ms: null, costPerMillionUSD: 1 },
    measured: { costPerMillionUSD: cost, p50Ms: p50, p95Ms: p50, p99Ms: p50, coldStartMs: NaN, requests: 12, errors: 0 },
    floorPerMillionUSD: 0.5, verify: { ok: true, maxRelErr: 0 }, load: { loadAvg, cores: 2, loaded: loadAvg / 2 > 1.5 },
    ...rest,
  };
}

const report = (rows: SweepRow[], platforms = ['p']) => ({ config: { platforms }, sweep: rows }) as unknown as SweepReport;

test('function classes: 1, 2–3, 4–9, 10+', () => {
  assert.deepEqual([1, 2, 3, 4, 9, 10, 55].map(functionClass), ['1 function', '2–3 functions', '2–3 functions', '4–9 functions', '4–9 functions', '10+ functions', '10+ functions']);
});

test('promises kept: predictions within bounds, mopar cheapest where anything met, nothing under the floor, quiet cells', () => {
  const rows = [
    row({ step: 0, strategy: 'unsplit', cost: 1.0 }),
    row({ step: 0, strategy: 'mopar', cost: 1.04 }), // within 5 % of the cheapest: counts
    row({ step: 1, strategy: 'mopar', cost: 1.0, functions: 3, p50: 5.5 }),
    row({ step: 2, strategy: 'mopar', feasible: false, measuredSloMet: false, p50: 11 }), // nothing met step 2: not counted
  ];
  const c = promiseCheck(report(rows));
  assert.deepEqual(c.platforms, [{ platform: 'p', steps: 3, someMet: 2, moparMet: 2, moparCheapest: 2 }]);
  assert.equal(c.classes.map((k) => k.label).join(','), '1 function,2–3 functions');
  assert.equal(c.all.cells, 4);
  assert.deepEqual(c.kept, { ratios: true, steps: true, floor: true, load: true });
  assert.equal(c.all.p50, 1.05, 'median of 1, 1, 1.1 and 2.2 (the step-2 cell that missed is still a prediction to judge)');
  assert.equal(c.moparMeasured, 3);
});

test('promises not kept: a dearer mopar, a cell below its floor, loaded cells — each named', () => {
  const rows = [
    row({ step: 0, strategy: 'uniform:3', cost: 1.0, functions: 3 }),
    row({ step: 0, strategy: 'mopar', cost: 1.2 }), // 20 % dearer than uniform:3 at the same step
    row({ step: 1, strategy: 'mopar', cost: 0.4, loadAvg: 3.5 }), // 0.8× its floor of 0.5, measured at 1.75 per core
    row({ step: 1, strategy: 'unsplit', cost: 0.45, loadAvg: 3.5 }),
  ];
  const c = promiseCheck(report(rows));
  assert.deepEqual(c.platforms[0], { platform: 'p', steps: 2, someMet: 2, moparMet: 2, moparCheapest: 1 });
  assert.equal(c.kept.steps, false, '1 of 2 steps is below 90 %');
  assert.deepEqual(c.belowFloor, [{ model: 'm', platform: 'p', step: 1, overFloor: 0.8 }]);
  assert.equal(c.kept.floor, false);
  assert.deepEqual(c.load, { cells: 4, quiet: 2 });
  assert.equal(c.kept.load, false);
  assert.equal(c.kept.ratios, false, 'median cost 0.725× its prediction');
});

test('promises: a platform where nothing measurably met any step keeps nothing; failed or unverified cells are not judged', () => {
  const rows = [
    row({ strategy: 'mopar', feasible: false, measuredSloMet: false }),
    row({ strategy: 'unsplit', verify: { ok: false, maxRelErr: 1 } }),
    row({ strategy: 'gillis', error: '2 request(s) failed: out of memory' }),
  ];
  const c = promiseCheck(report(rows));
  assert.equal(c.platforms[0]!.someMet, 0);
  assert.equal(c.kept.steps, false);
  assert.equal(c.all.cells, 1, 'only the verified, error-free cell');
});

test('like with like: measured p50 ÷ the prediction as served here, over the rows that carry it', () => {
  const here = (p50: number, servedHereMs?: number) => {
    const r = row({ p50 });
    return { ...r, predicted: { ...r.predicted, ...(servedHereMs !== undefined ? { servedHereMs } : {}) } };
  };
  const c = promiseCheck(report([here(10, 8), here(6, 6), here(9, 10), here(7)]));
  assert.equal(c.all.p50Here, 1, 'median of 1.25, 1, 0.9 (the row without one left out)');
  assert.ok(Number.isNaN(promiseCheck(report([here(7)])).all.p50Here), 'no row carries it: not a number, not a guess');
});
