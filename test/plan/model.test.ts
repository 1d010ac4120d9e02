import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configsFor } from '../../src/plan/configs.js';
import { billedMsFor, invocationUSD } from '../../src/plan/billing.js';
import { getPlatform, PLATFORMS } from '../../src/plan/platforms.js';
import { scalingCurve } from '../../src/plan/scaling-curve.js';
import { handOff } from '../../src/plan/transports/index.js';
import { tensorBytes } from '../../src/plan/assemble.js';
import { syntheticProfile } from './synthetic.js';
import { makeContext, requestInputBytes } from '../../src/plan/cost-model.js';
import { normalisedLayerMs, unitsOf } from '../../src/plan/units.js';
import { planPartition } from '../../src/plan/index.js';

test('every platform number has a source note with an as-of date', () => {
  for (const p of PLATFORMS) {
    for (const key of ['memory', 'cpu', 'price', 'hop', 'objectStore', 'coldStart.sandboxMs', 'coldStart.runtimeInitMs']) {
      const note = p.notes[key];
      assert.ok(note, `${p.id}: note for ${key}`);
      assert.match(note, /as of 20\d\d-\d\d/, `${p.id}.${key} has an as-of date`);
    }
  }
});

test('CPU scaling: interpolates measured points, full speed below 1 vCPU (the quota model stretches it), flat above, never faster with less CPU', () => {
  const c = scalingCurve([
    { vcpu: 0.5, threads: 1, ms: 200, method: 'cgroup-quota' },
    { vcpu: 1, threads: 1, ms: 100, method: 'threads' },
    { vcpu: 2, threads: 2, ms: 60, method: 'threads' },
  ], 1, 100);
  assert.equal(c.factor(1), 1);
  // Issue 27: below one core a call runs at one core's speed inside its CFS period; plan/quota-model.ts (not the
  // curve) adds the throttled periods. factor(0.5) was 2 (t1/v) before.
  assert.equal(c.factor(0.5), 1);
  assert.equal(c.factor(0.25), 1);
  assert.ok(Math.abs(c.factor(2) - 0.6) < 1e-12);
  assert.ok(Math.abs(c.factor(6) - 0.6) < 1e-12, 'no gain extrapolated past 2 vCPU');
  assert.ok(c.factor(1.5) < 1 && c.factor(1.5) > 0.6);
  // A 1.25-vCPU host runs one thread (core/threads.ts): no faster than 1 vCPU; 1.75 runs two, bound by the quota.
  assert.ok(Math.abs(c.factor(1.25) - 1) < 1e-12);
  assert.ok(c.factor(1.75) < c.factor(1.5) && c.factor(1.75) > 0.6);
  // Noise: a quota run that measured faster than 1 vCPU, and 2 threads slower than 1.
  const noisy = scalingCurve([
    { vcpu: 0.25, threads: 1, ms: 0.19, method: 'cgroup-quota' },
    { vcpu: 1, threads: 1, ms: 0.22, method: 'cgroup-quota' },
    { vcpu: 2, threads: 2, ms: 0.32, method: 'threads' },
  ], 1, 0.22);
  // The quota point faster than 1 vCPU buys nothing: 0.25 vCPU runs at the 1-vCPU speed (was 4 = t1/v, issue 27).
  assert.ok(Math.abs(noisy.factor(0.25) - 1) < 1e-9);
  assert.ok(Math.abs(noisy.factor(2) - 1) < 1e-12);
  // Two methods at one share: the slower one counts (served functions are children under a quota).
  const both = scalingCurve([
    { vcpu: 1, threads: 1, ms: 100, method: 'threads' },
    { vcpu: 1, threads: 1, ms: 140, method: 'cgroup-quota' },
    { vcpu: 2, threads: 2, ms: 70, method: 'threads' },
  ], 1, 100);
  assert.deepEqual(both.points.map((x) => x.ms), [140, 70]);
  assert.ok(Math.abs(both.factor(1) - 1.4) < 1e-12, 'layer times (summing to 100 ms) are scaled to the slower 140 ms');
  // No curve at all: full speed below the profile's own share (the quota model stretches it), flat above.
  const none = scalingCurve([], 1, 50);
  assert.equal(none.factor(0.5), 1);
  assert.equal(none.factor(4), 1);
});

test('Lambda configurations: memory ≥ need, vCPU proportional to memory (1 at 1769 MB, 6 max)', () => {
  const p = getPlatform('aws-lambda');
  const cs = configsFor(p, 300);
  assert.equal(cs[0]!.memoryMB, 300);
  assert.ok(Math.abs(cs[0]!.vcpu - 300 / 1769) < 1e-3);
  assert.ok(cs.some((c) => c.memoryMB === 1769 && c.vcpu === 1));
  assert.equal(cs.at(-1)!.memoryMB, 10240);
  assert.equal(cs.at(-1)!.vcpu, 5.789, '10240 / 1769 (AWS rounds this up to 6)');
  assert.ok(cs.every((c, i) => i === 0 || c.vcpu > cs[i - 1]!.vcpu));
  assert.deepEqual(configsFor(p, 20), configsFor(p, 128), 'at least the 128 MB minimum');
  assert.equal(configsFor(p, 10241).length, 0);
  // 1 ms billing, GB-s + request price.
  assert.ok(Math.abs(invocationUSD(p, { memoryMB: 1024, vcpu: 0.579 }, 1000) - (0.0000166667 + 0.2e-6)) < 1e-12);
});

test('Cloud Run rules: fractional CPU caps memory; big memory needs CPU; 100 ms billing', () => {
  const p = getPlatform('gcp-cloud-run');
  for (const c of configsFor(p, 3000)) assert.ok(c.vcpu >= 1, `3000 MB needs ≥ 1 vCPU (${c.vcpu})`);
  for (const c of configsFor(p, 700)) assert.ok(c.vcpu >= 0.5);
  assert.ok(configsFor(p, 300).some((c) => c.vcpu < 0.5));
  for (const c of configsFor(p, 10000)) assert.ok(c.vcpu >= 4 && [4, 6, 8].includes(c.vcpu));
  assert.ok(configsFor(p, 300).filter((c) => c.vcpu > 1).every((c) => [2, 4, 6, 8].includes(c.vcpu)));
  const c = { memoryMB: 1024, vcpu: 1 };
  // 100 ms steps, billed as the expected step over [ms, 1.15 ms]: 86 ms (up to 98.9) is one step; 88 ms may reach
  // 101.2 (1.2 of its 13.2 ms range falls in the second step).
  assert.equal(invocationUSD(p, c, 1), invocationUSD(p, c, 86));
  assert.ok(invocationUSD(p, c, 88) > invocationUSD(p, c, 86));
  assert.equal(billedMsFor(p, 86), 100);
  assert.ok(Math.abs(billedMsFor(p, 88) - (12 * 100 + 1.2 * 200) / 13.2) < 1e-9, String(billedMsFor(p, 88)));
  // A long function pays part of the next step, not a whole extra one: 873 ms ranges over 900, 1000 and 1100.
  assert.ok(Math.abs(billedMsFor(p, 873) - (27 * 900 + 100 * 1000 + 3.95 * 1100) / 130.95) < 1e-6, String(billedMsFor(p, 873)));
  // Never below the plain round-up, and rising with the duration.
  let prev = 0;
  for (let ms = 1; ms < 2000; ms += 7) {
    const b = billedMsFor(p, ms);
    assert.ok(b >= Math.ceil(ms / 100) * 100 - 1e-9 && b >= prev - 1e-9, `${ms} ms billed ${b}`);
    prev = b;
  }
  // Fine-grained billing (Lambda, 1 ms) gets no margin.
  assert.equal(billedMsFor(getPlatform('aws-lambda'), 86.2), 87);
});

test('Function Compute: 1–4 GB per vCPU in 64 MB steps', () => {
  const p = getPlatform('alibaba-fc');
  for (const c of configsFor(p, 300)) {
    assert.ok(c.memoryMB >= 1024 * c.vcpu - 1e-6 && c.memoryMB <= 4096 * c.vcpu + 1e-6, JSON.stringify(c));
    assert.equal(c.memoryMB % 64, 0);
  }
});

test('hand-offs: inline under the payload limit, then compressed, then object store; shm on OpenFaaS', () => {
  const lambda = getPlatform('aws-lambda');
  assert.equal(handOff(lambda, 1e6, 1)!.transport, 'inline');
  assert.equal(handOff(lambda, 4.6 * 2 ** 20, 1)!.transport, 'compressed');
  assert.equal(handOff(lambda, 7 * 2 ** 20, 1)!.transport, 'object-store');
  const staged = handOff(lambda, 7 * 2 ** 20, 3)!;
  assert.ok(Math.abs(staged.usd - (0.005 / 1000 + 3 * 0.0004 / 1000)) < 1e-15);
  assert.equal(handOff(getPlatform('openfaas'), 50 * 2 ** 20, 1)!.transport, 'shm');
  assert.equal(handOff(lambda, 1e6, 1, ['object-store'])!.transport, 'object-store');
  // Fan-out to k parts sends k payloads.
  assert.ok(handOff(lambda, 1e6, 4)!.latencyMs > handOff(lambda, 1e6, 1)!.latencyMs);
});

test('tensor bytes are recovered from per-cut totals', () => {
  const profile = syntheticProfile([
    { ms: 1, paramMB: 0, actMB: 1, cutBytes: 100 },
    { ms: 1, paramMB: 0, actMB: 1, cutBytes: 300 },
    { ms: 1, paramMB: 0, actMB: 1, cutBytes: 50 },
  ]);
  profile.layers[0]!.cutTensors = ['a'];
  profile.layers[1]!.cutTensors = ['a', 'b'];
  profile.layers[2]!.cutTensors = ['c'];
  const b = tensorBytes(profile);
  assert.equal(b.get('a'), 100);
  assert.equal(b.get('b'), 200);
  assert.equal(b.get('c'), 50);
});

test("a request's own time charges its input's and its reply's bytes at the measured rate per MB", () => {
  const MiB = 2 ** 20;
  const profile = { ...syntheticProfile([{ ms: 5, paramMB: 1, actMB: 1, cutBytes: 100_000 }, { ms: 5, paramMB: 1, actMB: 1, cutBytes: 8 * MiB }]),
    invocationOverheadMs: 0.5, requestOverheadMs: 1.5, requestMsPerMB: 2 };
  const input = requestInputBytes(profile.inputShapes);
  const ctx = makeContext(profile, getPlatform('openfaas'), unitsOf(profile.layers, normalisedLayerMs(profile)));
  // 1 ms beyond the first call, then 2 ms per MiB of input and of the 8 MiB reply (the bytes after the last layer).
  assert.ok(Math.abs(ctx.requestExtraMs - (1 + 2 * (input + 8 * MiB) / MiB)) < 1e-9, `${ctx.requestExtraMs}`);
  const plan = planPartition(profile, { platform: 'openfaas', strategy: 'unsplit' });
  assert.ok(plan.predicted.latencyMs > 16, 'the reply is on the request\'s path');
});

test('a reply measured at its own rate per MB is charged at it; the input keeps its rate', () => {
  const MiB = 2 ** 20;
  const base = { ...syntheticProfile([{ ms: 5, paramMB: 1, actMB: 1, cutBytes: 100_000 }, { ms: 5, paramMB: 1, actMB: 1, cutBytes: 8 * MiB }]),
    invocationOverheadMs: 0.5, requestOverheadMs: 1.5, requestMsPerMB: 2 };
  const units = unitsOf(base.layers, normalisedLayerMs(base));
  const input = requestInputBytes(base.inputShapes);
  const ctx = makeContext({ ...base, replyMsPerMB: 3 }, getPlatform('openfaas'), units);
  assert.ok(Math.abs(ctx.requestExtraMs - (1 + (2 * input + 3 * 8 * MiB) / MiB)) < 1e-9, `${ctx.requestExtraMs}`);
  const slower = planPartition({ ...base, replyMsPerMB: 3 }, { platform: 'openfaas', strategy: 'unsplit' }).predicted.latencyMs;
  const same = planPartition(base, { platform: 'openfaas', strategy: 'unsplit' }).predicted.latencyMs;
  assert.ok(Math.abs(slower - same - 8) < 1e-6, `8 MiB at 1 ms/MiB more: ${slower} vs ${same}`);
});
