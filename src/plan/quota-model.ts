/**
 * Latency of one call under a fractional CPU quota (CFS: `quota = v × period` of CPU per period). A short call
 * runs at full speed inside its period (MobileNetV2: 4.6 ms at a 0.25 quota, 6.2 ms at 1 vCPU), so t(v) = t1/v
 * — the rule until issue 27 — overstated it 4× (ResNet-18 in 3 functions: predicted 261 ms, served 99 ms). A call
 * longer than one period's budget pays the throttled rest of each period it exhausts: t1 ≤ v·P → t1; else
 * (n − 1) whole periods plus the remainder at full speed, n = ⌈t1 / (v·P)⌉, plus a measured per-period overhead
 * (the throttle's wake-up). A call that meets an exhausted quota waits out the period: the tail (p99) adds
 * (1 − v)·P. Whole cores (v ≥ 1) are the scaling curve's business, not this model's.
 */
export const CFS_PERIOD_MS = 100;

export interface QuotaModel {
  periodMs: number;
  /** Extra wall time per throttled period beyond the stepped model, ms (fitted; ≥ 0). */
  overheadPerPeriodMs: number;
}

export const DEFAULT_QUOTA_MODEL: QuotaModel = { periodMs: CFS_PERIOD_MS, overheadPerPeriodMs: 0 };

export interface QuotaLatency {
  /** A call's median wall time, ms. */
  p50: number;
  /** Its tail: one more throttled period where the quota can bind, ms. */
  p99: number;
}

/** Wall time of a call doing `fullSpeedMs` of one-core work under a quota of `vcpu` cores. */
export function quotaLatency(fullSpeedMs: number, vcpu: number, m: QuotaModel = DEFAULT_QUOTA_MODEL): QuotaLatency {
  if (vcpu >= 1 || !(fullSpeedMs > 0)) return { p50: fullSpeedMs, p99: fullSpeedMs };
  const budget = vcpu * m.periodMs;
  const n = Math.ceil(fullSpeedMs / budget - 1e-9);
  const p50 = n <= 1 ? fullSpeedMs : (n - 1) * (m.periodMs + m.overheadPerPeriodMs) + (fullSpeedMs - (n - 1) * budget);
  return { p50, p99: p50 + (1 - vcpu) * m.periodMs };
}

/**
 * quotaLatency's inverse: the full-speed work of a call whose median under a quota of `vcpu` cores is `callMs`
 * (a plan records each function's call, not its work). Exact inside one period's budget; past it, the throttled
 * periods (k whole periods of P + overhead, each giving v·P of work) are taken back out. With the default model's
 * zero overhead it can only overstate the work of a call that paid a fitted overhead.
 */
export function callFullSpeedMs(callMs: number, vcpu: number, m: QuotaModel = DEFAULT_QUOTA_MODEL): number {
  if (vcpu >= 1 || !(callMs > 0)) return callMs;
  const budget = vcpu * m.periodMs;
  const k = Math.max(0, Math.ceil((callMs - budget) / (m.periodMs + m.overheadPerPeriodMs) - 1e-9));
  return Math.max(0, callMs - k * (m.periodMs + m.overheadPerPeriodMs) + k * budget);
}

/**
 * The least wall time a call can take under the quota, whatever the period's phase when it starts: a full quota
 * spent right before a period boundary and the next one right after it run 2·v·P at full speed back to back.
 * The physical floor prices work with this (no measured call can be faster).
 */
export function quotaFloorMs(fullSpeedMs: number, vcpu: number, periodMs = CFS_PERIOD_MS): number {
  if (vcpu >= 1 || !(fullSpeedMs > 0)) return fullSpeedMs;
  const budget = vcpu * periodMs;
  if (fullSpeedMs <= budget) return fullSpeedMs;
  return budget + quotaLatency(fullSpeedMs - budget, vcpu, { periodMs, overheadPerPeriodMs: 0 }).p50;
}

/**
 * Fits the per-period overhead from measured (vcpu, ms) points of work that takes `fullSpeedMs` at one core:
 * only points whose call spans several periods carry it (a call inside one period measures t1 whatever the
 * overhead). Median of (measured − stepped model) / throttled periods, never below 0 nor above one period.
 */
export function fitQuotaModel(points: ReadonlyArray<{ vcpu: number; ms: number }>, fullSpeedMs: number, periodMs = CFS_PERIOD_MS): QuotaModel {
  const per: number[] = [];
  for (const p of points) {
    if (!(p.vcpu > 0 && p.vcpu < 1) || !(p.ms > 0) || !(fullSpeedMs > 0)) continue;
    const n = Math.ceil(fullSpeedMs / (p.vcpu * periodMs) - 1e-9);
    if (n <= 1) continue;
    const stepped = quotaLatency(fullSpeedMs, p.vcpu, { periodMs, overheadPerPeriodMs: 0 }).p50;
    per.push((p.ms - stepped) / (n - 1));
  }
  if (per.length === 0) return { periodMs, overheadPerPeriodMs: 0 };
  per.sort((a, b) => a - b);
  const mid = per.length >> 1;
  const med = per.length % 2 ? per[mid]! : (per[mid - 1]! + per[mid]!) / 2;
  return { periodMs, overheadPerPeriodMs: Math.min(periodMs, Math.max(0, med)) };
}

/**
 * Median latency of one client's back-to-back requests through a chain (what `verify --measure` sends): the sum
 * of the calls at their own latency, unless a function's quota cannot keep up with the stream. A function busy
 * `fullSpeedMs` of every request at quota v sustains at most v / fullSpeedMs requests per ms, so requests cannot
 * come faster than one per fullSpeedMs / v. Even a call that fits its period's budget twice pays it: the host's
 * own CPU (IPC, codecs, GC) shares the quota, and MobileNetV2 at 0.25 vCPU (8–12 ms a call alone) was served at a
 * 36 ms median, not the 14 ms an exception for short calls predicted.
 */
export function sustainedLatency(chainMs: number, fns: ReadonlyArray<{ fullSpeedMs: number; vcpu: number }>): number {
  let out = chainMs;
  for (const f of fns) {
    if (f.vcpu >= 1 || !(f.fullSpeedMs > 0)) continue;
    out = Math.max(out, f.fullSpeedMs / f.vcpu);
  }
  return out;
}
