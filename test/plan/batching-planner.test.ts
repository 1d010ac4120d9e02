import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MoparError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/random.js';
import { quantile } from '../../src/core/index.js';
import { planPartition } from '../../src/plan/index.js';
import {
  bestGrouping, checkApps, costPerRequest, DEFAULT_HEADROOM, GroupEvaluator, planBatching,
  simulateBatching, type AppSpec,
} from '../../src/plan/batching/index.js';
import { syntheticProfile } from './synthetic.js';

// A small CPU model: 20 ms per request at 1 vCPU, three layers, a few MB of weights.
const profile = syntheticProfile([
  { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
  { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
  { ms: 4, paramMB: 2, actMB: 1, cutBytes: 4_000 },
]);
const SIZES = [1, 2, 4, 8];

function randomApps(rng: Rng, n: number): AppSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `app${i}`, sloMs: Math.round(rng.uniform(120, 1500)), ratePerSec: Math.round(rng.uniform(0.5, 15) * 10) / 10,
  }));
}

/** USD per second of a grouping: Σ over groups of rate × cost per request (Infinity when a group is infeasible). */
function groupingCost(ev: GroupEvaluator, groups: AppSpec[][]): number {
  let usd = 0;
  for (const g of groups) {
    const rate = g.reduce((s, a) => s + a.ratePerSec, 0);
    const c = ev.choose(Math.min(...g.map((a) => a.sloMs)), rate);
    if (!c) return Infinity;
    usd += rate * c.costPerRequestUSD;
  }
  return usd;
}

function* setPartitions<T>(xs: T[]): Generator<T[][]> {
  if (xs.length === 0) { yield []; return; }
  const [first, ...rest] = xs;
  for (const p of setPartitions(rest)) {
    yield [[first!], ...p];
    for (let i = 0; i < p.length; i++) yield [...p.slice(0, i), [first!, ...p[i]!], ...p.slice(i + 1)];
  }
}

function* compositions<T>(xs: T[]): Generator<T[][]> {
  if (xs.length === 0) { yield []; return; }
  for (let k = 1; k <= xs.length; k++) for (const rest of compositions(xs.slice(k))) yield [xs.slice(0, k), ...rest];
}

test('batching planner: the grouping equals the brute-force optimum over every set partition (n = 4)', () => {
  let compared = 0;
  let merged = 0;
  for (const platform of ['aws-lambda', 'gcp-cloud-run']) {
    for (let seed = 1; seed <= 3; seed++) {
      const apps = randomApps(new Rng(seed), 4);
      const ev = new GroupEvaluator(profile, { platform, batchSizes: SIZES });
      let brute = Infinity;
      let partitions = 0;
      for (const p of setPartitions(apps)) { brute = Math.min(brute, groupingCost(ev, p)); partitions++; }
      assert.equal(partitions, 15); // Bell(4)
      const chosen = bestGrouping(ev, apps)!;
      assert.ok(chosen, `${platform} seed ${seed}: no grouping`);
      assert.deepEqual(chosen.flat().map((a) => a.name).sort(), apps.map((a) => a.name).sort());
      const got = groupingCost(ev, chosen);
      assert.ok(Math.abs(got - brute) <= 1e-12 * brute, `${platform} seed ${seed}: ${got} vs brute force ${brute}`);
      compared++;
      if (chosen.some((g) => g.length > 1)) merged++;
    }
  }
  assert.equal(compared, 6);
  assert.ok(merged >= 1, 'no case merged applications: the check would not exercise grouping');
});

test('batching planner: above the exact limit, the best SLO-contiguous grouping (n = 7)', () => {
  const apps = randomApps(new Rng(42), 7);
  const ev = new GroupEvaluator(profile, { platform: 'aws-lambda', batchSizes: SIZES });
  const sorted = [...apps].sort((a, b) => a.sloMs - b.sloMs);
  let brute = Infinity;
  let n = 0;
  for (const p of compositions(sorted)) { brute = Math.min(brute, groupingCost(ev, p)); n++; }
  assert.equal(n, 64);
  const got = groupingCost(ev, bestGrouping(ev, apps)!);
  assert.ok(Math.abs(got - brute) <= 1e-12 * brute, `${got} vs ${brute}`);
});

test('batching planner: every group meets its SLO in a simulation of its own batching', () => {
  const apps: AppSpec[] = [
    { name: 'a', sloMs: 200, ratePerSec: 2 }, { name: 'b', sloMs: 500, ratePerSec: 2 },
    { name: 'c', sloMs: 1000, ratePerSec: 2 }, { name: 'd', sloMs: 2000, ratePerSec: 2 },
  ];
  const ev = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES });
  let batchedGroups = 0;
  for (const g of bestGrouping(ev, apps)!) {
    const slo = Math.min(...g.map((a) => a.sloMs));
    const rate = g.reduce((s, a) => s + a.ratePerSec, 0);
    const c = ev.choose(slo, rate)!;
    const sim = simulateBatching({ ratePerSec: rate, maxBatch: c.maxBatch, timeoutMs: c.timeoutMs }, c.exec, 50_000, 7);
    const p99 = quantile(sim.latencies, 0.99);
    assert.ok(p99 <= slo * (1 - DEFAULT_HEADROOM) * 1.03, `group ${g.map((a) => a.name)}: simulated p99 ${p99} over ${slo}`);
    if (c.maxBatch > 1) batchedGroups++;
  }
  assert.ok(batchedGroups >= 1);
});

test('batching planner: known answers', () => {
  // Unbatched = the partition planner's own plan at the SLO less the headroom, priced the same.
  const ev = new GroupEvaluator(profile, { platform: 'aws-lambda', batchSizes: SIZES });
  const one = ev.choose(300, 5, true)!;
  const plan = planPartition(profile, { platform: 'aws-lambda', sloMs: 300 * (1 - DEFAULT_HEADROOM) });
  assert.equal(one.maxBatch, 1);
  // The batches' part (warm capacity and billed starts come on top: the instance model's, tested apart).
  const batches = (c: { costPerRequestUSD: number; warmUSDPerRequest: number; startsUSDPerRequest: number }) => c.costPerRequestUSD - c.warmUSDPerRequest - c.startsUSDPerRequest;
  assert.ok(Math.abs(batches(one) - plan.predicted.costPerMillionUSD / 1e6) <= 1e-11, `${batches(one)} vs ${plan.predicted.costPerMillionUSD}e-6`);
  // A busy, loose application fills the largest batch at once: cost = one full batch / B.
  const busy = ev.choose(2000, 5000)!;
  assert.equal(busy.maxBatch, 8);
  assert.ok(Math.abs(batches(busy) - busy.batchUSD(8) / 8) <= 1e-6 * busy.costPerRequestUSD);
  assert.ok(Math.abs(batches(busy) - costPerRequest({ ratePerSec: 5000, maxBatch: 8, timeoutMs: busy.timeoutMs }, busy.batchUSD)) < 1e-15);
  // Cloud Run: batches of 8 divide the $0.40/M request fee by 8. The 100 ms rounding barely matters here: with
  // per-item time flat in the batch, a lone request at 0.25 vCPU already fills its step (80 ms of compute).
  // Figures of this model: 0.63 vs 1.04 USD per million requests.
  const cr = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES });
  const crBusy = cr.choose(1000, 500)!;
  const crAlone = cr.choose(1000, 500, true)!;
  assert.equal(crBusy.maxBatch, 8);
  assert.ok(crBusy.costPerRequestUSD < crAlone.costPerRequestUSD * 0.7, `${crBusy.costPerRequestUSD} vs ${crAlone.costPerRequestUSD}`);
  assert.ok(crAlone.costPerRequestUSD - crBusy.costPerRequestUSD > 0.4e-6 * 0.5, 'less saved than half the request fee');
});

test('batching planner: the issue\'s low-rate case (4 apps × 2 req/s, SLOs 0.2–2 s) and the baselines', () => {
  const apps: AppSpec[] = [
    { name: 'a', sloMs: 200, ratePerSec: 2 }, { name: 'b', sloMs: 500, ratePerSec: 2 },
    { name: 'c', sloMs: 1000, ratePerSec: 2 }, { name: 'd', sloMs: 2000, ratePerSec: 2 },
  ];
  for (const platform of ['aws-lambda', 'gcp-cloud-run']) {
    const r = planBatching(profile, apps, { platform, batchSizes: SIZES });
    const by = Object.fromEntries(r.strategies.map((s) => [s.strategy, s]));
    const names = ['harmony', 'one-group', 'per-app', 'unbatched', ...(platform === 'gcp-cloud-run' ? ['concurrency'] : [])].sort();
    assert.deepEqual(Object.keys(by).sort(), names);
    for (const s of r.strategies) assert.ok(s.feasible, `${platform} ${s.strategy}`);
    assert.equal(r.groups, by.harmony!.groups);
    // Grouping beats per-application batching here (not just ties it), and every baseline is dearer or equal.
    assert.ok(by.harmony!.costPerRequestUSD < by['per-app']!.costPerRequestUSD * 0.99, `${platform}: ${by.harmony!.costPerRequestUSD} vs ${by['per-app']!.costPerRequestUSD}`);
    assert.ok(by.harmony!.costPerRequestUSD <= by['one-group']!.costPerRequestUSD);
    assert.ok(by['per-app']!.costPerRequestUSD <= by.unbatched!.costPerRequestUSD);
    for (const g of r.groups) {
      assert.ok(g.predicted.p99Ms <= g.sloMs * (1 - DEFAULT_HEADROOM) + 1e-6);
      assert.ok(g.functions.length >= 1 && g.functions.every((f) => f.memoryMB > 0 && f.vcpu > 0 && f.nodes.length > 0));
    }
    assert.deepEqual(r.groups.flatMap((g) => g.apps).sort(), ['a', 'b', 'c', 'd']);
  }
});

test('batching planner: the request-concurrency baseline (Cloud Run) at a vanishing rate is one request per busy period', () => {
  const ev = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES });
  const alone = ev.choose(400, 1e-6, true)!;
  const conc = ev.chooseConcurrent(400, 1e-6)!;
  // The invocations' part: at this rate every request finds no instance, so the planner keeps one warm, which the
  // concurrency baseline (a processor-sharing mean, no instance model) leaves out.
  const aloneUSD = alone.costPerRequestUSD - alone.warmUSDPerRequest - alone.startsUSDPerRequest;
  assert.ok(alone.minInstances >= 1);
  assert.ok(Math.abs(conc.costPerRequestUSD - aloneUSD) <= 1e-6 * aloneUSD, `${conc.costPerRequestUSD} vs ${aloneUSD}`);
  // A model so small that even the least CPU Cloud Run allows (0.08 vCPU) leaves most of a 100 ms step unused:
  // at a busy rate requests share an instance's busy periods and each pays a fraction of a step. (For the 20 ms
  // model above it does not pay: a slow config already fills the step, and sharing the CPU stretches requests.)
  const small = new GroupEvaluator(syntheticProfile([{ ms: 0.5, paramMB: 1, actMB: 0.5, cutBytes: 1000 }, { ms: 0.5, paramMB: 1, actMB: 0.5, cutBytes: 100 }]),
    { platform: 'gcp-cloud-run', batchSizes: SIZES });
  const lone = small.chooseConcurrent(1000, 1e-6)!;
  const busy = small.chooseConcurrent(1000, 30)!;
  assert.ok(busy.costPerRequestUSD < lone.costPerRequestUSD * 0.9, `${busy.costPerRequestUSD} vs ${lone.costPerRequestUSD}`);
  assert.ok(busy.p99Ms <= 1000 * (1 - DEFAULT_HEADROOM));
  // Platforms that bill each request alone have no such baseline.
  assert.equal(new GroupEvaluator(profile, { platform: 'aws-lambda' }).chooseConcurrent(400, 5), undefined);
});

test('batching planner: bad applications are clear errors', () => {
  assert.throws(() => checkApps([]), MoparError);
  assert.throws(() => checkApps([{ name: 'a', sloMs: 100, ratePerSec: 1 }, { name: 'a', sloMs: 200, ratePerSec: 1 }]), /given twice/);
  assert.throws(() => checkApps([{ name: 'a', sloMs: -1, ratePerSec: 1 }]), /sloMs/);
  assert.throws(() => checkApps([{ name: 'a', sloMs: 100, ratePerSec: 0 }]), /ratePerSec/);
  assert.throws(() => planBatching(profile, [{ name: 'fast', sloMs: 1, ratePerSec: 1 }, { name: 'ok', sloMs: 500, ratePerSec: 1 }],
    { platform: 'aws-lambda', batchSizes: SIZES }), (e: unknown) => e instanceof MoparError && /'fast' \(1 ms\)/.test(e.message) && !/'ok'/.test(e.message));
  assert.throws(() => planBatching(profile, [{ name: 'a', sloMs: 100, ratePerSec: 1 }], { platform: 'nope' }), /unknown platform/);
});

test('batching planner: the request-concurrency baseline stays within the instance limit (no plan when the limit cannot carry the load)', () => {
  // 20 ms per request at 1 vCPU: 150 req/s is 3 vCPU-s of work per second.
  const unlimited = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES });
  assert.ok(unlimited.chooseConcurrent(2000, 150), 'with no instance limit the platform scales out to carry it');
  const two = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES, maxInstances: 2 });
  assert.equal(two.chooseConcurrent(2000, 150), undefined, 'two instances of ≤ 1 vCPU cannot serve 3 vCPU-s per second');
  const four = new GroupEvaluator(profile, { platform: 'gcp-cloud-run', batchSizes: SIZES, maxInstances: 4 });
  const c = four.chooseConcurrent(2000, 100);
  assert.ok(c, 'four instances carry 2 vCPU-s per second');
  assert.ok(c.plan.functions.every((f) => 100 * (f.predicted.billedMs ?? f.predicted.ms) / 1000 / 4 < 1), 'each function\'s load shared by 4 instances stays under 1');
});
