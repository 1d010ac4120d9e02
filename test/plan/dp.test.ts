import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPlatform } from '../../src/plan/platforms.js';
import { makeContext, type SegmentOption } from '../../src/plan/cost-model.js';
import { normalisedLayerMs, unitsOf } from '../../src/plan/units.js';
import { makeProblem } from '../../src/plan/problem.js';
import { COST_TIE, minCostUnderSlo, minLatency, SLO_TOLERANCE_MS, type DpProblem } from '../../src/plan/dp.js';
import { TRANSPORTS } from '../../src/plan/transports/index.js';
import { randomProfile } from './synthetic.js';

/**
 * Every way to cut [0, n) into segments, every option per segment: the true optimum (`cost`), and the least
 * latency among plans within COST_TIE of it (`tieLat`, what the DP's tie-break should return).
 */
function bruteForce(pr: DpProblem, slo: number): { cost: number; lat: number; tieLat: number } | undefined {
  const plans: Array<{ cost: number; lat: number }> = [];
  const rec = (pos: number, lat: number, cost: number) => {
    if (lat > slo + SLO_TOLERANCE_MS) return;
    if (pos === pr.n) {
      plans.push({ cost, lat });
      return;
    }
    for (let b = pos; b < pr.n; b++) {
      if (pr.fixedCuts && b < pr.n - 1 && !pr.fixedCuts.has(b)) continue;
      for (const o of pr.options(pos, b)) rec(b + 1, lat + o.latencyMs, cost + o.costUSD);
      if (pr.fixedCuts) break;
    }
  };
  rec(0, 0, 0);
  if (plans.length === 0) return undefined;
  const min = (xs: number[]) => xs.reduce((m, x) => Math.min(m, x), Infinity);
  const cost = min(plans.map((p) => p.cost));
  const lat = min(plans.filter((p) => p.cost === cost).map((p) => p.lat));
  const tieLat = min(plans.filter((p) => p.cost <= cost * (1 + COST_TIE) + 1e-15).map((p) => p.lat));
  return { cost, lat, tieLat };
}

function bruteLatency(pr: DpProblem): number {
  let best = Infinity;
  const rec = (pos: number, lat: number) => {
    if (pos === pr.n) { best = Math.min(best, lat); return; }
    for (let b = pos; b < pr.n; b++) for (const o of pr.options(pos, b).slice(0, 1)) rec(b + 1, lat + o.latencyMs);
  };
  rec(0, 0);
  return best;
}

function problemFor(seed: number, n: number, platform: string, horizontal: boolean) {
  const profile = randomProfile(n, seed);
  const ms = normalisedLayerMs(profile);
  const ctx = makeContext(profile, getPlatform(platform), unitsOf(profile.layers, ms));
  return { ctx, pr: makeProblem(ctx, { horizontal, transports: TRANSPORTS }) };
}

const sum = (segs: { opt: SegmentOption }[], k: 'latencyMs' | 'costUSD') => segs.reduce((s, x) => s + x.opt[k], 0);

test('the DP finds the brute-force optimum on small cases (4 platforms × seeds × SLOs)', () => {
  let compared = 0;
  let split = 0;
  let ties = 0;
  for (const platform of ['aws-lambda', 'gcp-cloud-run', 'alibaba-fc', 'openfaas']) {
    for (let seed = 1; seed <= 4; seed++) {
      const { pr } = problemFor(seed, 5, platform, seed % 2 === 0);
      const fastest = bruteLatency(pr);
      for (const slack of [1.0, 1.15, 1.6, 3]) {
        const slo = fastest * slack;
        const want = bruteForce(pr, slo);
        const got = minCostUnderSlo(pr, slo, { buckets: 1 << 16 });
        assert.ok(want, 'the fastest plan is feasible');
        assert.ok(got, `${platform} seed ${seed} slack ${slack}: DP found a plan`);
        // Cost within the tie band of the optimum, and the fastest plan of that band (up to one bucket).
        assert.ok(got.costUSD >= want.cost * (1 - 1e-9) - 1e-15 && got.costUSD <= want.cost * (1 + COST_TIE) + 1e-12,
          `${platform} seed ${seed} slack ${slack}: DP ${got.costUSD} vs brute force ${want.cost}`);
        assert.ok(got.latencyMs <= want.tieLat + slo / (1 << 16) + 1e-9,
          `${platform} seed ${seed} slack ${slack}: DP ${got.latencyMs} ms vs fastest within the tie ${want.tieLat} ms`);
        if (want.tieLat < want.lat - 1e-6) ties++;
        assert.ok(got.latencyMs <= slo + SLO_TOLERANCE_MS);
        // The reported totals are the segments' own.
        assert.ok(Math.abs(sum(got.segments, 'costUSD') - got.costUSD) < 1e-12);
        assert.ok(Math.abs(sum(got.segments, 'latencyMs') - got.latencyMs) < 1e-9);
        assert.equal(got.segments[0]!.a, 0);
        assert.equal(got.segments.at(-1)!.b, pr.n - 1);
        if (got.segments.length > 1) split++;
        compared++;
      }
    }
  }
  assert.equal(compared, 64);
  assert.ok(ties > 0, 'some cases have a faster plan within the cost tie (the tie-break is exercised)');
  assert.ok(split > 0, 'some optimal plans cut the model (the cases are not all trivial)');
});

test('default resolution stays within one bucket of the optimum and always meets the SLO', () => {
  for (let seed = 5; seed <= 8; seed++) {
    const { pr } = problemFor(seed, 6, 'openfaas', true);
    const slo = bruteLatency(pr) * 1.3;
    const want = bruteForce(pr, slo)!;
    const got = minCostUnderSlo(pr, slo)!;
    assert.ok(got.latencyMs <= slo + SLO_TOLERANCE_MS);
    assert.ok(got.costUSD >= want.cost - 1e-15);
    assert.ok(got.costUSD <= want.cost * 1.02, `seed ${seed}: ${got.costUSD} within 2 % of ${want.cost}`);
  }
});

test('fixed cuts: the DP only picks configurations, brute force agrees', () => {
  const { ctx } = problemFor(3, 6, 'gcp-cloud-run', false);
  const pr = makeProblem(ctx, { horizontal: false, transports: TRANSPORTS }, new Set([1, 3]));
  const slo = minLatency(pr)!.latencyMs * 1.5;
  const got = minCostUnderSlo(pr, slo, { buckets: 1 << 16 })!;
  assert.deepEqual(got.segments.map((s) => [s.a, s.b]), [[0, 1], [2, 3], [4, 5]]);
  const want = bruteForce(pr, slo)!;
  assert.ok(got.costUSD >= want.cost - 1e-15 && got.costUSD <= want.cost * (1 + COST_TIE) + 1e-15);
  assert.ok(got.latencyMs <= want.tieLat + slo / (1 << 16) + 1e-9);
});

test('minLatency equals the brute-force fastest; an SLO below it has no plan', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const { pr } = problemFor(seed, 5, 'aws-lambda', true);
    const fast = minLatency(pr)!;
    assert.ok(Math.abs(fast.latencyMs - bruteLatency(pr)) < 1e-9);
    assert.equal(minCostUnderSlo(pr, fast.latencyMs * 0.99), undefined);
  }
});

test('cost ties: within 0.5 % of the cheapest, the faster plan wins; beyond it, the cheaper', () => {
  const opt = (latencyMs: number, costUSD: number) => ({ latencyMs, costUSD }) as SegmentOption;
  const problem = (second: number): DpProblem => ({
    n: 2,
    // Segment [0, 1] whole: cost 1, slow. Cut after unit 0: two segments, faster, costing `second` in all.
    options: (a, b) => (a === 0 && b === 1 ? [opt(100, 1)] : a === 0 ? [opt(20, second / 2)] : [opt(20, second / 2)]),
  });
  const within = minCostUnderSlo(problem(1 + COST_TIE * 0.8), 1000)!;
  assert.equal(within.segments.length, 2, 'the faster plan within the tie');
  assert.equal(within.latencyMs, 40);
  const beyond = minCostUnderSlo(problem(1 + COST_TIE * 1.2), 1000)!;
  assert.equal(beyond.segments.length, 1, 'the cheaper plan beyond the tie');
  assert.equal(beyond.costUSD, 1);
  // Deterministic: same problem, same answer.
  assert.deepEqual(minCostUnderSlo(problem(1.004), 1000), minCostUnderSlo(problem(1.004), 1000));
});
