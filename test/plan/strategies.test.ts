import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLATFORMS, SPLIT_MARGIN, planPartition } from '../../src/plan/index.js';
import { checkPlan } from './check-plan.js';
import { CHANNEL, randomProfile, syntheticProfile } from './synthetic.js';

const STRATEGIES = ['mopar', 'unsplit', 'uniform:1', 'uniform:3', 'layerwise', 'gillis', 'amps'];

test('every strategy on every platform gives a valid plan', () => {
  const profile = randomProfile(14, 11);
  for (const p of PLATFORMS) {
    for (const strategy of STRATEGIES) {
      for (const slack of [1, 3]) {
        const sloMs = planPartition(profile, { platform: p.id, strategy: 'unsplit' }).sloMs * slack;
        const plan = planPartition(profile, { platform: p.id, strategy, sloMs, allowSloMiss: true });
        assert.equal(plan.strategy, strategy);
        assert.equal(plan.platform, p.id);
        checkPlan(plan, profile);
        if (strategy === 'unsplit' || strategy === 'uniform:1') assert.equal(plan.functions.length, 1);
        if (strategy === 'uniform:3') assert.equal(new Set(plan.functions.map((f) => f.group)).size, 3);
        if (strategy === 'layerwise') assert.equal(plan.functions.length, profile.layers.length);
        if (strategy === 'amps') assert.ok(plan.edges.every((e) => e.transport === 'object-store'));
        if (strategy === 'amps' || strategy === 'unsplit' || strategy.startsWith('uniform') || strategy === 'layerwise') {
          assert.ok(plan.functions.every((f) => !f.split), `${strategy} never splits horizontally`);
        }
      }
    }
  }
});

test('mopar is never costlier than the baselines that meet the same SLO', () => {
  for (const seed of [2, 3]) {
    const profile = randomProfile(10, seed);
    for (const p of PLATFORMS) {
      const sloMs = planPartition(profile, { platform: p.id, strategy: 'unsplit' }).sloMs * 1.5;
      const mopar = planPartition(profile, { platform: p.id, sloMs });
      for (const s of ['unsplit', 'uniform:2', 'uniform:4', 'layerwise', 'gillis', 'amps']) {
        const b = planPartition(profile, { platform: p.id, strategy: s, sloMs, allowSloMiss: true });
        if (b.sloMet === false) continue;
        // Within the DP's latency-bucket resolution; one function may cost up to SPLIT_MARGIN more than a split.
        const margin = mopar.functions.length === 1 ? 1 / (1 - SPLIT_MARGIN) : 1;
        assert.ok(mopar.predicted.costPerMillionUSD <= b.predicted.costPerMillionUSD * margin * 1.01 + 1e-9,
          `${p.id} seed ${seed}: mopar ${mopar.predicted.costPerMillionUSD} vs ${s} ${b.predicted.costPerMillionUSD}`);
      }
      assert.ok(mopar.predicted.costPerMillionUSD <= mopar.unsplit.costPerMillionUSD * 1.01);
    }
  }
});

/**
 * A conv body (much compute, little weight) and a head of `headMB` of weights (VGG-like): slicing the head off saves
 * its memory over the body's time. Since issue 27 a split also pays the entry of its deployment for the whole
 * request, so the head must be heavy for the split to pay: 1.5 GB no longer does on FC and OpenFaaS (6 % and 15 %
 * cheaper without the entry, dearer with it).
 */
const headProfile = (headMB: number) => syntheticProfile([
  ...Array.from({ length: 6 }, () => ({ ms: 50, paramMB: 5, actMB: 30, cutBytes: 400_000 })),
  { ms: 10, paramMB: headMB, actMB: 1, cutBytes: 4000, op: 'Gemm' },
], { model: `head-${headMB}` });

test('mopar splits only when the split is predicted at least SPLIT_MARGIN cheaper than one function meeting the SLO', () => {
  let kept = 0;
  let split = 0;
  // With the entry priced (issue 27) none of the random profiles splits: heavy heads exercise both sides of the rule.
  for (const profile of [...[2, 3, 4, 5, 6].map((seed) => randomProfile(10, seed)), headProfile(3000), headProfile(6000)]) {
    for (const p of PLATFORMS) {
      for (const slack of [1.2, 2]) {
        const sloMs = planPartition(profile, { platform: p.id, strategy: 'unsplit' }).sloMs * slack;
        const mopar = planPartition(profile, { platform: p.id, sloMs });
        const one = planPartition(profile, { platform: p.id, strategy: 'unsplit', sloMs });
        if (mopar.functions.length > 1) {
          split++;
          assert.ok(mopar.predicted.costPerMillionUSD < one.predicted.costPerMillionUSD * (1 - SPLIT_MARGIN),
            `${p.id} ${profile.model}: a ${mopar.functions.length}-function plan at ${mopar.predicted.costPerMillionUSD} vs one function at ${one.predicted.costPerMillionUSD}`);
        } else if ((mopar.notes ?? []).some((n) => n.startsWith('one function: the best split'))) {
          kept++;
          assert.deepEqual(mopar.functions.map((f) => [f.memoryMB, f.vcpu]), one.functions.map((f) => [f.memoryMB, f.vcpu]), 'the single function is the unsplit plan');
        }
      }
    }
  }
  assert.ok(kept > 0, 'some split inside the margin was passed over (the rule is exercised)');
  assert.ok(split > 0, 'splits beyond the margin are still taken');
});

test('plans are deterministic (same profile, same options → same plan apart from planMs)', () => {
  const profile = randomProfile(40, 5);
  for (const p of PLATFORMS) {
    const a = planPartition(profile, { platform: p.id });
    const b = planPartition(structuredClone(profile), { platform: p.id });
    assert.deepEqual({ ...a, planMs: 0 }, { ...b, planMs: 0 });
  }
});

test('a tight SLO with a parallel-friendly heavy slice makes mopar split it horizontally', () => {
  const layers = [
    { ms: 400, paramMB: 40, actMB: 20, cutBytes: 200_000, splits: [CHANNEL] },
    { ms: 400, paramMB: 40, actMB: 20, cutBytes: 200_000, splits: [CHANNEL] },
    { ms: 20, paramMB: 4, actMB: 2, cutBytes: 4000 },
  ];
  // A curve that stops at 1 vCPU: more CPU in one function buys nothing, parallel functions do.
  const profile = syntheticProfile(layers, { scaling: [{ vcpu: 1, threads: 1, ms: 820, method: 'threads' }] });
  const plan = planPartition(profile, { platform: 'openfaas', sloMs: 500 });
  checkPlan(plan, profile);
  const split = plan.functions.filter((f) => f.split);
  assert.ok(split.length >= 2, 'some slice runs as parallel sub-slices');
  assert.equal(split[0]!.split!.kind, 'channel');
  assert.ok(plan.predicted.latencyMs <= 500);
  // Channel sub-slices hold 1/k of the weights: each needs less memory than the whole slice would.
  const whole = planPartition(profile, { platform: 'openfaas', strategy: 'unsplit', sloMs: 5000 });
  assert.ok(split[0]!.memoryMB < whole.functions[0]!.memoryMB);
});

test('a weights-heavy head is sliced off when memory is billed apart from CPU', () => {
  // Conv body: much compute, little weight. Head: little compute, 6 GB of weights (heavy enough to pay the entry).
  const profile = headProfile(6000);
  for (const platform of ['alibaba-fc', 'openfaas']) {
    const plan = planPartition(profile, { platform, sloMs: 1000 });
    checkPlan(plan, profile);
    assert.ok(plan.functions.length >= 2, 'the head gets its own function');
    assert.ok(plan.predicted.costPerMillionUSD < plan.unsplit.costPerMillionUSD);
    const head = plan.functions.at(-1)!;
    assert.equal(head.similarity!.dominantOp, 'Gemm');
    assert.deepEqual(head.layers, [6, 6]);
    // The body needs far less memory than the head; its configuration may be larger than its need where a
    // faster one costs the same within the 0.5 % tie (Alibaba's CPU-memory coupling), but never the head's.
    assert.ok(plan.functions[0]!.predicted.peakMB < head.predicted.peakMB / 2, 'the body needs far less memory than the head');
    assert.ok(plan.functions[0]!.memoryMB < head.memoryMB, 'the body runs in less memory than the head');
  }
});

test('deep models are merged into at most 96 cut candidates and still planned', () => {
  const profile = randomProfile(400, 9);
  const plan = planPartition(profile, { platform: 'aws-lambda' });
  checkPlan(plan, profile);
  assert.ok(plan.units! <= 96);
  assert.ok(plan.notes!.some((n) => n.includes('merged')));
  const lw = planPartition(profile, { platform: 'openfaas', strategy: 'layerwise', allowSloMiss: true });
  assert.equal(lw.functions.length, 400);
  checkPlan(lw, profile);
});
