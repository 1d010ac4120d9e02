import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPlatform } from '../../src/plan/platforms.js';
import { makeContext, type SegmentOption } from '../../src/plan/cost-model.js';
import { normalisedLayerMs, unitsOf } from '../../src/plan/units.js';
import { makeProblem } from '../../src/plan/problem.js';
import { minCostUnderSlo, minLatency, SLO_TOLERANCE_MS, type DpProblem } from '../../src/plan/dp.js';
import { TRANSPORTS } from '../../src/plan/transport.js';
import { randomProfile } from './synthetic.js';

/** Every way to cut [0, n) into segments, every option per segment: the true optimum. */
function bruteForce(pr: DpProblem, slo: number): { cost: number; lat: number } | undefined {
  let best: { cost: number; lat: number } | undefined;
  const rec = (pos: number, lat: number, cost: number) => {
    if (lat > slo + SLO_TOLERANCE_MS) return;
    if (pos === pr.n) {
      if (!best || cost < best.cost) best = { cost, lat };
      return;
    }
    for (let b = pos; b < pr.n; b++) {
      if (pr.fixedCuts && b < pr.n - 1 && !pr.fixedCuts.has(b)) continue;
      for (const o of pr.options(pos, b)) rec(b + 1, lat + o.latencyMs, cost + o.costUSD);
      if (pr.fixedCuts) break;
    }
  };
  rec(0, 0, 0);
  return best;
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
        assert.ok(Math.abs(got.costUSD - want.cost) <= 1e-12 + 1e-9 * want.cost,
          `${platform} seed ${seed} slack ${slack}: DP ${got.costUSD} vs brute force ${want.cost}`);
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
  assert.ok(Math.abs(got.costUSD - bruteForce(pr, slo)!.cost) < 1e-12);
});

test('minLatency equals the brute-force fastest; an SLO below it has no plan', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const { pr } = problemFor(seed, 5, 'aws-lambda', true);
    const fast = minLatency(pr)!;
    assert.ok(Math.abs(fast.latencyMs - bruteLatency(pr)) < 1e-9);
    assert.equal(minCostUnderSlo(pr, fast.latencyMs * 0.99), undefined);
  }
});
