import { test } from 'node:test';
import assert from 'node:assert/strict';
import { billedMs, getPlatform, initUSD, measuredInvocationUSD, usdPerSecond } from '../../src/plan/index.js';
import { DEFAULT_HEADROOM, planBatching, simulateArrivals, simulateInstances, type AppSpec, type ChainFunction } from '../../src/plan/batching/index.js';
import { syntheticProfile } from './synthetic.js';

// One request at 0, then a burst of three 10 s later: each call runs 3 s, a start takes 1 s, idle instances above
// the minimum are reclaimed after 2 s (so the burst finds only the warm minimum).
const TIMES = Float64Array.from([0, 10_000, 10_001, 10_002]);
const ONE = { maxBatch: 1, timeoutMs: 0 };
const CHAIN: ChainFunction[][] = [[{ ms: () => 3000, coldMs: 1000 }]];

test('instances: a burst larger than the warm instances waits about one cold start', () => {
  const r = simulateInstances(TIMES, ONE, CHAIN, { minInstances: 1, maxInstances: 10, idleKeepMs: 2000 });
  // The first of the burst runs on the warm instance; the two others each start one and wait for it (1 s).
  assert.deepEqual([...r.latencies].map((x) => Math.round(x)), [3000, 3000, 4000, 4000]);
  assert.deepEqual(r.starts, [2]);
  // Enough warm instances: no start, no wait — what the batch-only model assumes.
  const warm = simulateInstances(TIMES, ONE, CHAIN, { minInstances: 3, maxInstances: 10, idleKeepMs: 2000 });
  assert.deepEqual([...warm.latencies], [...simulateArrivals(TIMES, ONE, () => 3000).latencies]);
  assert.deepEqual(warm.starts, [0]);
  // At the instance limit a call queues behind the busy one instead (3 s, then 3 s more).
  const capped = simulateInstances(TIMES, ONE, CHAIN, { minInstances: 1, maxInstances: 1, idleKeepMs: 2000 });
  // (The burst only: the replay's warm-up pass, queued alike, still holds the instance at the first request.)
  assert.deepEqual([...capped.latencies].slice(1).map((x) => Math.round(x)), [3000, 5999, 8998]);
  assert.deepEqual(capped.starts, [0]);
  // Work-conserving: when a busy instance frees before the new one is ready, the call runs there (and the start
  // still happens and is counted).
  const short = simulateInstances(Float64Array.from([0, 10_000, 10_001]), ONE, [[{ ms: () => 200, coldMs: 1000 }]], { minInstances: 1, maxInstances: 10, idleKeepMs: 2000 });
  assert.deepEqual([...short.latencies].map((x) => Math.round(x)), [200, 200, 399]);
  assert.deepEqual(short.starts, [1]);
});

test('instances: the warm minimum trades idle cost for p99 (tight SLO: warm ≥ 1; loose: 0)', () => {
  const profile = syntheticProfile([
    { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
    { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
  ]);
  // Sparse bursts: ON ~1 s at 8× the mean, OFF ~7 s, longer than the 2 s keep-alive: a burst finds no instance
  // unless one is kept warm. The cold start here is ~0.55 s on Lambda.
  const app = (sloMs: number): AppSpec => ({ name: 'a', sloMs, ratePerSec: 0.5, arrivals: { kind: 'bursty', peakToMean: 8, meanOnMs: 1000 } });
  const plan = (sloMs: number) => planBatching(profile, [app(sloMs)], { platform: 'aws-lambda', batchSizes: [1, 2, 4], idleKeepMs: 2000 }).groups[0]!;
  const tight = plan(400);
  const loose = plan(3000);
  assert.ok(tight.minInstances >= 1, `tight: ${tight.minInstances}`);
  assert.ok(tight.predicted.warmUSDPerRequest > 0);
  assert.equal(loose.minInstances, 0);
  assert.equal(loose.predicted.warmUSDPerRequest, 0);
  // The loose plan pays for its starts instead, and its p99 includes queueing behind them.
  assert.ok(loose.predicted.startsPerHour > 0 && loose.predicted.startsUSDPerRequest > 0);
  assert.ok(loose.predicted.p99Ms > 500, `loose p99 ${loose.predicted.p99Ms}`);
  for (const g of [tight, loose]) assert.ok(g.predicted.p99Ms <= g.sloMs * (1 - DEFAULT_HEADROOM) + 1e-6);
  assert.ok(tight.predicted.costPerRequestUSD > loose.predicted.costPerRequestUSD);
  // A platform that prices no warm capacity never keeps one (Function Compute has no instances record here).
  assert.equal(planBatching(profile, [app(3000)], { platform: 'alibaba-fc', batchSizes: [1, 2, 4] }).groups[0]!.minInstances, 0);
});

test('billing: a measured call is billed at its own duration rounded to the granule; a start as init', () => {
  const run = getPlatform('gcp-cloud-run');
  const fn = { memoryMB: 512, vcpu: 0.5 };
  // 50 ms and 150 ms on Cloud Run: 100 + 200 ms billed (the mean, 100 ms, would bill 2 × 100 ms).
  const calls = [50, 150];
  const sum = calls.reduce((s, ms) => s + measuredInvocationUSD(run, fn, ms), 0);
  assert.ok(Math.abs(sum - (300 / 1000 * usdPerSecond(run, fn) + 2 * run.price.perRequest)) < 1e-15);
  assert.ok(sum > 2 * measuredInvocationUSD(run, fn, 100));
  assert.equal(billedMs(150, run.price.granularityMs), 200);
  // A start is its duration at the configured size, rounded like a call, with no request fee; Lambda bills INIT.
  const lambda = getPlatform('aws-lambda');
  assert.ok(Math.abs(initUSD(lambda, { memoryMB: 1024, vcpu: 1024 / 1769 }, 1234.4) - 1.235 * lambda.price.perGBSecond) < 1e-15);
  assert.equal(initUSD(getPlatform('alibaba-fc'), fn, 1000), 0);
});
