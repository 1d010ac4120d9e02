/**
 * When to stop timing: profiles taken on a shared machine drifted between runs (the same model's fastest plan
 * 8.7 ms, then 16.6 ms), so the timed runs repeat until their spread, (p90 − p10) / p50, is within a bound or a
 * run limit is hit, and the profile records the spread and whether it converged (plan warns when not).
 */
export const SPREAD_BOUND = 0.1;
/** Most timed runs, and most wall time spent on them, before giving up on convergence. */
export const MAX_STABLE_RUNS = 60;
export const MAX_STABLE_MS = 20_000;

export interface StopRule {
  minRuns: number;
  maxRuns: number;
  bound: number;
  /** Stop after this much timed wall time even if unsettled. */
  maxMs: number;
}

export function spreadOf(samples: readonly number[]): number {
  if (samples.length < 2) return Infinity;
  const xs = [...samples].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = p * (xs.length - 1);
    const lo = Math.floor(i);
    return xs[lo]! + (xs[Math.min(lo + 1, xs.length - 1)]! - xs[lo]!) * (i - lo);
  };
  const mid = q(0.5);
  return mid > 0 ? (q(0.9) - q(0.1)) / mid : Infinity;
}

/** 'converged' / 'limit' once timing may stop, undefined to keep going. */
export function stopReason(samples: readonly number[], rule: StopRule): 'converged' | 'limit' | undefined {
  const n = samples.length;
  if (n < rule.minRuns) return undefined;
  if (spreadOf(samples) <= rule.bound) return 'converged';
  const spent = samples.reduce((a, b) => a + b, 0);
  if (n >= rule.maxRuns || spent >= rule.maxMs) return 'limit';
  return undefined;
}

export function defaultStopRule(minRuns: number): StopRule {
  return { minRuns: Math.max(minRuns, 5), maxRuns: Math.max(minRuns, MAX_STABLE_RUNS), bound: SPREAD_BOUND, maxMs: MAX_STABLE_MS };
}
