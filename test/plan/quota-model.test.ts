import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitQuotaModel, quotaLatency, sustainedLatency, CFS_PERIOD_MS } from '../../src/plan/quota-model.js';
import { scalingCurve } from '../../src/plan/scaling-curve.js';
import { aloneMs, computeMs, makeContext, segmentCandidates, tailMs } from '../../src/plan/cost-model.js';
import { getPlatform } from '../../src/plan/platforms.js';
import { unitsOf, normalisedLayerMs } from '../../src/plan/units.js';
import { syntheticProfile } from './synthetic.js';

const P = CFS_PERIOD_MS;

test('quota model: full speed within one period, throttled whole periods across them, one period more in the tail', () => {
  // 20 ms of work fits a 0.25 quota's 25 ms budget: full speed.
  assert.deepEqual(quotaLatency(20, 0.25), { p50: 20, p99: 20 + 0.75 * P });
  // 60 ms at 0.25: two throttled periods (25 ms each) then 10 ms at full speed.
  assert.equal(quotaLatency(60, 0.25).p50, 2 * P + 10);
  // Whole cores are the curve's business.
  assert.deepEqual(quotaLatency(60, 1), { p50: 60, p99: 60 });
  // Long calls tend to t1 / v, never above it.
  for (const t1 of [30, 80, 260, 999]) {
    const q = quotaLatency(t1, 0.25).p50;
    assert.ok(q <= t1 / 0.25 + 1e-9 && q >= t1, `t1 ${t1}: ${q}`);
  }
  // Monotone in the work and in the quota.
  let prev = 0;
  for (let t = 1; t < 400; t += 7) { const q = quotaLatency(t, 0.3).p50; assert.ok(q >= prev); prev = q; }
  assert.ok(quotaLatency(120, 0.5).p50 <= quotaLatency(120, 0.25).p50);
});

test('quota model fit: recovers the per-period overhead from synthetic multi-period points, ignores single-period ones', () => {
  const truth = { periodMs: P, overheadPerPeriodMs: 3 };
  const t1 = 34;
  const pts = [0.1, 0.2, 0.25, 0.5, 0.9].map((vcpu) => ({ vcpu, ms: quotaLatency(t1, vcpu, truth).p50 }));
  const fit = fitQuotaModel(pts, t1);
  assert.ok(Math.abs(fit.overheadPerPeriodMs - 3) < 1e-9, `fitted ${fit.overheadPerPeriodMs}`);
  // Only single-period points (or a faster-than-model point): no overhead, never negative.
  assert.equal(fitQuotaModel([{ vcpu: 0.5, ms: 30 }], t1).overheadPerPeriodMs, 0);
  assert.equal(fitQuotaModel([{ vcpu: 0.25, ms: 50 }], t1).overheadPerPeriodMs, 0);
  // The curve fits it from the profile's cgroup-quota points.
  const c = scalingCurve([
    { vcpu: 0.25, threads: 1, ms: quotaLatency(t1, 0.25, truth).p50, method: 'cgroup-quota' },
    { vcpu: 1, threads: 1, ms: t1, method: 'cgroup-quota' },
  ], 1, t1);
  assert.ok(Math.abs(c.quota.overheadPerPeriodMs - 3) < 1e-9);
});

test('sustained latency: a quota that cannot keep up with back-to-back requests bounds the median', () => {
  // Three 15 ms calls, 50 ms a request: 0.5 vCPU keeps up (30 ms a request); 0.167 does not (90 ms).
  assert.equal(sustainedLatency(50, [{ fullSpeedMs: 15, vcpu: 0.5 }, { fullSpeedMs: 15, vcpu: 1 }]), 50);
  assert.ok(Math.abs(sustainedLatency(50, [{ fullSpeedMs: 15, vcpu: 0.5 }, { fullSpeedMs: 15, vcpu: 0.167 }]) - 15 / 0.167) < 1e-9);
  // A short call alone at a quarter core: a stream of them runs at the quota's rate.
  assert.equal(sustainedLatency(8, [{ fullSpeedMs: 8, vcpu: 0.25 }]), 32);
});

test('cost model: below one core a call is priced by the quota model, its tail by one throttled period', () => {
  const prof = syntheticProfile([{ ms: 20, paramMB: 1, actMB: 1, cutBytes: 4 }, { ms: 40, paramMB: 1, actMB: 1, cutBytes: 4 }]);
  const ctx = makeContext(prof, getPlatform('gcp-cloud-run'), unitsOf(prof.layers, normalisedLayerMs(prof)));
  const t1 = computeMs(ctx, 20, 1);
  // The planner compares the larger of the call alone and the quota's sustained rate.
  assert.equal(aloneMs(ctx, 20, 0.5), quotaLatency(t1, 0.5, ctx.curve.quota).p50);
  assert.equal(computeMs(ctx, 20, 0.5), t1 / 0.5);
  assert.ok(Math.abs(computeMs(ctx, 20, 0.05) - t1 / 0.05) < 1e-9, 'whole throttled periods never beat the rate');
  assert.ok(tailMs(ctx, 20, 0.5) > 0);
  assert.equal(tailMs(ctx, 20, 1), 0);
});

test('cost model: every function call pays the profile\'s measured invocation overhead (else the platform\'s assumed one)', () => {
  const p = getPlatform('openfaas');
  const prof = syntheticProfile([{ ms: 20, paramMB: 1, actMB: 1, cutBytes: 4 }]);
  const opts = { horizontal: false, transports: ['inline'] as const, vcpuGrid: [1] };
  const at = (overhead: number | undefined) => {
    const pr = { ...prof, ...(overhead !== undefined ? { invocationOverheadMs: overhead } : {}) };
    const ctx = makeContext(pr, p, unitsOf(pr.layers, normalisedLayerMs(pr)));
    return segmentCandidates(ctx, 0, 0, opts)[0]!;
  };
  const assumed = at(undefined);
  const measured = at(7);
  assert.ok(Math.abs(measured.latencyMs - assumed.latencyMs - (7 - p.hop.invokeMs)) < 1e-9);
  assert.ok(Math.abs(measured.billedMs - assumed.billedMs - (7 - p.hop.invokeMs)) < 1e-9);
  assert.ok(measured.costUSD > assumed.costUSD);
});

test('plan: predicted.p99Ms adds one throttled period below one core; a loaded or unsettled profile is said in notes and why', async () => {
  const { planPartition } = await import('../../src/plan/index.js');
  const prof = syntheticProfile([{ ms: 20, paramMB: 1, actMB: 1, cutBytes: 4 }, { ms: 40, paramMB: 1, actMB: 1, cutBytes: 4 }]);
  const frac = planPartition(prof, { platform: 'openfaas', strategy: 'unsplit', sloMs: 1e6 });
  assert.ok(frac.functions[0]!.vcpu < 1, `vcpu ${frac.functions[0]!.vcpu}`);
  assert.ok(frac.predicted.p99Ms! >= frac.predicted.latencyMs + (1 - frac.functions[0]!.vcpu) * P - 1e-6);
  const whole = planPartition(prof, { platform: 'openfaas', strategy: 'unsplit', sloMs: 40 });
  assert.ok(whole.functions[0]!.vcpu >= 1);
  assert.equal(whole.predicted.p99Ms, whole.predicted.latencyMs);
  assert.ok(!(frac.notes ?? []).some((n) => /profile is doubtful/.test(n)));
  const doubtful = { ...prof, converged: false, spread: 0.4, load: { loadAvg: 9, cores: 2, loaded: true } };
  const plan = planPartition(doubtful, { platform: 'openfaas', alternatives: true });
  assert.match(plan.notes!.join('\n'), /profile is doubtful: the machine was loaded \(load average 9\.0 on 2 cores\) and its timings did not settle \(spread 40 %/);
  assert.match(plan.why!, /profile is doubtful/);
});
