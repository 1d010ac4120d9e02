/** The cold-request model (plan/cold-start.ts, docs/cold-starts.md) on hand-computed cases, and --cold-slo-ms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPlatform, planPartition, type Platform } from '../../src/plan/index.js';
import { coldLatency, coldStartMs, FETCH_MBPS_PER_VCPU, SESSION_LOAD_MBPS } from '../../src/plan/cold-start.js';
import { MoparError } from '../../src/core/index.js';
import { sharedAgainMB } from '../../src/plan/units.js';
import { syntheticProfile, CHANNEL } from './synthetic.js';

// Round figures so that every number below can be checked by hand: sandbox 100 + init 200, 20 ms first byte,
// 100 MB/s per stream, 2 ms handler time; sessions load at SESSION_LOAD_MBPS (500 MB/s).
const P: Platform = {
  ...getPlatform('aws-lambda'),
  coldStart: { sandboxMs: 100, runtimeInitMs: 200 },
  objectStore: { ...getPlatform('aws-lambda').objectStore, latencyMs: 20, bandwidthMBps: 100 },
  hop: { ...getPlatform('aws-lambda').hop, invokeMs: 2 },
};

test('one cold start: sandbox + init + first byte + weights / bandwidth + weights / load rate', () => {
  assert.equal(SESSION_LOAD_MBPS, 500);
  const c = coldStartMs(P, 100);
  assert.deepEqual(c, { ms: 1520, sandboxMs: 100, initMs: 200, fetchMs: 1020, loadMs: 200 });
});

test('under a fractional vCPU the fetch runs at the quota\'s rate (FETCH_MBPS_PER_VCPU per vCPU), never above the stream', () => {
  // 0.25 vCPU: min(100, 0.25 × 150) = 37.5 MB/s → 20 + 100 / 37.5 s; the rest as at 1 vCPU.
  const c = coldStartMs(P, 100, 0.25);
  assert.equal(FETCH_MBPS_PER_VCPU, 150);
  assert.ok(Math.abs(c.fetchMs - (20 + (100 / 37.5) * 1000)) < 1e-9, String(c.fetchMs));
  assert.ok(Math.abs(c.ms - (300 + c.fetchMs + 200)) < 1e-9);
  // 2 vCPU: the stream's 100 MB/s is the limit, as at 1.
  assert.deepEqual(coldStartMs(P, 100, 2), coldStartMs(P, 100));
  // The chain model reads each function's vCPU.
  const r = coldLatency(P, [{ name: 'a', group: 'a', ms: 10, handInMs: 0, weightsMB: 100, vcpu: 0.25 }]);
  assert.equal(r.perFunction.a, c.ms);
});

test('a chain: proactive warm-up waits for the later of input and instance; reactive adds them', () => {
  const r = coldLatency(P, [
    { name: 'a', group: 'a', ms: 50, handInMs: 0, weightsMB: 100 }, // cold 1520
    { name: 'b', group: 'b', ms: 30, handInMs: 10, weightsMB: 200 }, // cold 300 + 20 + 2000 + 400 = 2720
  ]);
  assert.deepEqual(r.perFunction, { a: 1520, b: 2720 });
  // warm: a ends at 50 + 2 = 52, b's input at 62, b ends at 62 + 32 = 94.
  assert.equal(r.warmMs, 94);
  // proactive: a ends at max(1520, 0) + 52 = 1572; b's input at 1582 but b is up only at 2720: 2720 + 32.
  assert.equal(r.proactiveMs, 2752);
  // reactive: b starts when its input arrives (1582) and then pays its whole cold start: 1582 + 2720 + 32.
  assert.equal(r.reactiveMs, 4334);
});

test('a parallel group: its parts load side by side and the slowest part ends the group', () => {
  const r = coldLatency(P, [
    { name: 'a', group: 'a', ms: 50, handInMs: 0, weightsMB: 100 }, // 1520, ends 1572
    { name: 'c0', group: 'c', ms: 40, handInMs: 5, weightsMB: 50 }, // 100 + 200 + 20 + 500 + 100 = 920
    { name: 'c1', group: 'c', ms: 45, handInMs: 5, weightsMB: 50 },
  ]);
  // c's input arrives at 1577, long after its parts are up (920): the slower part ends at 1577 + 45 + 2.
  assert.equal(r.proactiveMs, 1624);
  assert.equal(r.warmMs, 52 + 5 + 47);
  // The same 200 MB in one function: 300 + 20 + 2000 + 400 = 2720 before it computes.
  const one = coldLatency(P, [{ name: 'u', group: 'u', ms: 95, handInMs: 0, weightsMB: 200 }]);
  assert.equal(one.proactiveMs, 2720 + 97);
});

// Heavy weights in the first layers, cheap compute: parallel loading is what a cold request needs.
const heavy = syntheticProfile([
  { ms: 20, paramMB: 300, actMB: 2, cutBytes: 20_000, op: 'MatMul', splits: [CHANNEL] },
  { ms: 20, paramMB: 300, actMB: 2, cutBytes: 20_000, op: 'MatMul', splits: [CHANNEL] },
  { ms: 20, paramMB: 20, actMB: 2, cutBytes: 20_000 },
  { ms: 20, paramMB: 20, actMB: 2, cutBytes: 4_000 },
], { model: 'heavy' });

test('every plan carries its cold latency, its functions their cold starts, the unsplit function its own', () => {
  const plan = planPartition(heavy, { platform: 'aws-lambda' });
  assert.ok(plan.predicted.coldLatencyMs! > plan.predicted.latencyMs);
  assert.ok(plan.predicted.coldReactiveMs! >= plan.predicted.coldLatencyMs!);
  assert.ok(plan.functions.every((f) => f.predicted.coldStartMs! > 0));
  const p = getPlatform('aws-lambda');
  // The unsplit function: its whole cold start (640 MB) and then its warm latency.
  const want = coldStartMs(p, 640).ms + plan.unsplit.latencyMs;
  assert.ok(Math.abs(plan.unsplit.coldLatencyMs! - want) < 0.01, `${plan.unsplit.coldLatencyMs} vs ${want}`);
  assert.equal(plan.coldSloMs, undefined);
});

test('--cold-slo-ms: a plan that misses it is rejected for one that loads in parallel; an impossible one is an error', () => {
  // A warm SLO with room for hand-offs: cuts are then possible, and only the cold bound asks for them.
  const free = planPartition(heavy, { platform: 'aws-lambda', sloMs: 200, alternatives: true });
  assert.equal(free.functions.length, 1, 'warm, one function is cheapest');
  const unsplitCold = free.unsplit.coldLatencyMs!;
  // Between what parallel loading can reach and what one function needs.
  const bound = unsplitCold * 0.7;
  const plan = planPartition(heavy, { platform: 'aws-lambda', sloMs: 200, coldSloMs: bound, alternatives: true });
  assert.equal(plan.strategy, 'mopar');
  assert.match(plan.notes!.join('\n'), /over --cold-slo-ms .* loads its slices in parallel and meets it/);
  assert.equal(plan.coldSloMs, bound);
  assert.equal(plan.coldSloMet, true);
  assert.ok(plan.predicted.coldLatencyMs! <= bound);
  assert.ok(plan.functions.length > 1);
  assert.equal(plan.sloMs, free.sloMs, 'the warm SLO stays the one asked for');
  assert.ok(plan.predicted.latencyMs <= plan.sloMs + 1e-6);
  const one = plan.alternatives!.find((a) => a.strategy === 'unsplit')!;
  assert.equal(one.coldSloMet, false);
  assert.match(plan.why!, /Rejected for the cold SLO: .*unsplit \(1 function, cold \d+ ms\)/);
  assert.throws(() => planPartition(heavy, { platform: 'aws-lambda', sloMs: 200, coldSloMs: 50 }),
    (e: unknown) => e instanceof MoparError && /no mopar plan meets --cold-slo-ms 50: the fastest first request after idle takes \d+ ms/.test(e.message));
  const missed = planPartition(heavy, { platform: 'aws-lambda', coldSloMs: 50, allowSloMiss: true });
  assert.equal(missed.coldSloMet, false);
  assert.throws(() => planPartition(heavy, { platform: 'aws-lambda', coldSloMs: -1 }), /--cold-slo-ms must be a positive number/);
});

test('--cold-slo-ms splits one heavy layer into parts that each fetch and load a share of its weights', () => {
  // 600 MB in one channel-splittable layer (VGG-16's fc6 is 392 MB of its 528): no cut can share it out.
  const fc = syntheticProfile([
    { ms: 30, paramMB: 10, actMB: 2, cutBytes: 20_000 },
    { ms: 20, paramMB: 600, actMB: 2, cutBytes: 20_000, op: 'MatMul', splits: [CHANNEL] },
    { ms: 10, paramMB: 10, actMB: 2, cutBytes: 4_000 },
  ], { model: 'fc' });
  const free = planPartition(fc, { platform: 'aws-lambda', sloMs: 300 });
  const bound = free.unsplit.coldLatencyMs! / 2;
  const plan = planPartition(fc, { platform: 'aws-lambda', sloMs: 300, coldSloMs: bound });
  assert.ok(plan.predicted.coldLatencyMs! <= bound, `${plan.predicted.coldLatencyMs} ≤ ${bound}`);
  const parts = plan.functions.filter((f) => f.split?.kind === 'channel');
  assert.ok(parts.length >= 2, 'the heavy layer is split into channel parts');
  // Each part loads 600 / k MB: its cold start is the platform's for that share.
  const k = parts[0]!.split!.parts;
  assert.ok(Math.abs(parts[0]!.predicted.coldStartMs! - coldStartMs(getPlatform('aws-lambda'), 600 / k, parts[0]!.vcpu).ms) < 0.01);
  assert.match(plan.notes!.join('\n'), /at most \d+ MB of weights per function/);
  // Parts fetch at the stream's rate. On Lambda the warm-cheapest parts already do: the entry, billed for the whole
  // request (issue 27), makes faster parts cheaper there.
  const fetchVcpu = getPlatform('aws-lambda').objectStore.bandwidthMBps / FETCH_MBPS_PER_VCPU;
  assert.ok(parts.every((p) => p.vcpu >= fetchVcpu - 1e-9), parts.map((p) => p.vcpu).join(', '));
  // On Cloud Run the warm-cheapest part is a smaller fraction of a vCPU, whose fetch runs at the quota's rate: the
  // bound is met by parts at the vCPU that fetches at the stream's rate, and the plan says so.
  const run = planPartition(fc, { platform: 'gcp-cloud-run', sloMs: 300, coldSloMs: planPartition(fc, { platform: 'gcp-cloud-run', sloMs: 300 }).unsplit.coldLatencyMs! / 2 });
  const runFetchVcpu = getPlatform('gcp-cloud-run').objectStore.bandwidthMBps / FETCH_MBPS_PER_VCPU;
  assert.ok(run.functions.filter((f) => f.split).every((p) => p.vcpu >= runFetchVcpu - 1e-9), run.functions.map((p) => p.vcpu).join(', '));
  assert.match(run.notes!.join('\n'), /to fetch at the stream's rate/);
});

test('a weight two layers read (tied embedding) counts in every function that holds a reader: its weights and its cold start', () => {
  // Layer 0 owns a 200 MB tied weight that layer 2 reads again (GPT-2's embedding and output head).
  const tied = syntheticProfile([
    { ms: 20, paramMB: 200, actMB: 2, cutBytes: 20_000 },
    { ms: 20, paramMB: 50, actMB: 2, cutBytes: 20_000 },
    { ms: 20, paramMB: 10, actMB: 2, cutBytes: 4_000 },
  ], { model: 'tied' });
  assert.equal(sharedAgainMB([{ name: 'wte', mb: 200, layers: [0, 2] }], 2, 2), 200);
  assert.equal(sharedAgainMB([{ name: 'wte', mb: 200, layers: [0, 2] }], 0, 2), 0, 'the owner in the slice: counted once');
  assert.equal(sharedAgainMB([{ name: 'wte', mb: 200, layers: [0, 2] }], 1, 1), 0, 'no reader in the slice');
  const without = planPartition(tied, { platform: 'aws-lambda', strategy: 'uniform:3', allowSloMiss: true });
  const plan = planPartition({ ...tied, sharedWeights: [{ name: 'wte', mb: 200, layers: [0, 2] }] }, { platform: 'aws-lambda', strategy: 'uniform:3', allowSloMiss: true });
  assert.equal(plan.functions.length, 3);
  assert.equal(without.functions[2]!.similarity!.paramMB, 10);
  assert.equal(plan.functions[2]!.similarity!.paramMB, 210);
  assert.equal(plan.functions[0]!.similarity!.paramMB, 200);
  assert.ok(plan.functions[2]!.predicted.coldStartMs! > without.functions[2]!.predicted.coldStartMs! + 1000, 'the last function fetches the tied weight too');
});
