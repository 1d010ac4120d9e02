/**
 * Which deadlines a WARM function can meet (issue 29, sparse traffic): the sparse bench reports, per strategy, the
 * share of those requests that met their deadline (`deadlinesMetOfWarmFeasible`), so that misses no keep-alive
 * policy could prevent (a deadline shorter than the deployment's own warm latency) are not counted against it.
 *
 * Rule: a request is warm-feasible when its deadline is at least the latency that the same deployment (same
 * functions, same gateway, same request) measured warm in ≥ `share` (99 %) of the run's warm calibration requests —
 * i.e. deadline ≥ the calibration's empirical 99th percentile. The calibration is the run's own data, measured on
 * pre-warmed instances before the strategies run, so every strategy on one deployment has the same denominator and
 * a policy cannot shrink its denominator by being slow.
 */

/** The share of warm calibration requests that must meet a deadline for it to count as warm-feasible. */
export const WARM_FEASIBLE_SHARE = 0.99;

/** True when at least `share` of the warm latencies `warmMs` are ≤ `deadlineMs`. */
export function warmFeasible(deadlineMs: number, warmMs: readonly number[], share = WARM_FEASIBLE_SHARE): boolean {
  if (warmMs.length === 0) throw new Error('warm-feasibility needs at least one warm latency of the deployment');
  if (!(share > 0 && share <= 1)) throw new Error(`share must be in (0, 1], got ${share}`);
  const within = warmMs.filter((ms) => ms <= deadlineMs).length;
  // Compared as counts: 0.99 × 100 is not exactly 99 in floating point.
  return within >= Math.ceil(share * warmMs.length - 1e-9);
}

/** The smallest deadline that is warm-feasible against `warmMs` (the empirical `share` quantile). */
export function warmFeasibleDeadlineMs(warmMs: readonly number[], share = WARM_FEASIBLE_SHARE): number {
  if (warmMs.length === 0) throw new Error('warm-feasibility needs at least one warm latency of the deployment');
  const s = [...warmMs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(share * s.length - 1e-9) - 1)]!;
}

export interface WarmFeasibleSummary {
  /** Requests whose deadline a warm function can meet. */
  feasible: number;
  /** Of those, the requests that met their deadline. */
  met: number;
  /** met / feasible; null when no request was warm-feasible. */
  share: number | null;
}

/** Of the requests whose deadline is warm-feasible, how many met it. */
export function deadlinesMetOfWarmFeasible(requests: ReadonlyArray<{ deadlineMs: number; met: boolean }>, warmMs: readonly number[], share = WARM_FEASIBLE_SHARE): WarmFeasibleSummary {
  const feasible = requests.filter((r) => warmFeasible(r.deadlineMs, warmMs, share));
  const met = feasible.filter((r) => r.met).length;
  return { feasible: feasible.length, met, share: feasible.length ? met / feasible.length : null };
}
