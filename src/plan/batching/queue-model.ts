/**
 * The batching latency model (docs/batching.md): requests of a group arrive as one Poisson stream of rate λ; a
 * batch opens at the first request after the previous one left, and is dispatched when it holds B requests
 * (fills) or T ms after its first request (times out), whichever comes first. Functions scale out, so a batch
 * never waits for another to finish; it then runs for exec(b) ms (execution of the chain at batch size b, with
 * its hand-offs). Everything below is exact for that policy (no approximation beyond deterministic exec(b)):
 *
 * - N = arrivals in the T ms after the first one ~ Poisson(λT). A batch times out with k + 1 requests when
 *   N = k < B − 1, and fills with B requests otherwise, at S = the (B − 1)-th later arrival ~ Erlang(B − 1, λ).
 * - In a timed-out batch the first request waits T; the k others arrived uniformly in (0, T): waits ~ U(0, T).
 * - In a full batch closing at S = s: the first waits s, the last 0, the B − 2 between ~ U(0, s).
 * - Request-weighted fractions: P(latency > x) = E[# requests of a batch with latency > x] / E[batch size]
 *   (renewal-reward over batch cycles, which are i.i.d. under Poisson arrivals).
 *
 * Cost per request = E[cost of one batch] / E[batch size], with the batch cost from the platform's one price
 * formula (billing.ts invocationUSD, one invocation per function per batch).
 */
export interface BatchQueue {
  /** Arrivals per second of the whole group. */
  ratePerSec: number;
  maxBatch: number;
  timeoutMs: number;
}

/** Batch execution + hand-offs at batch size b, ms (non-decreasing in b). */
export type ExecMs = (b: number) => number;

const LOG_FACT: number[] = [0];
function logFactorial(k: number): number {
  for (let i = LOG_FACT.length; i <= k; i++) LOG_FACT[i] = LOG_FACT[i - 1]! + Math.log(i);
  return LOG_FACT[k]!;
}

/** Poisson(m) probability of k, in log space (λT may be in the thousands). */
function poissonPmf(m: number, k: number): number {
  if (m === 0) return k === 0 ? 1 : 0;
  return Math.exp(-m + k * Math.log(m) - logFactorial(k));
}

/**
 * P(Erlang(n, rate) ≤ t) = P(Poisson(rate·t) ≥ n); n ≥ 1. The terms by recurrence from e^(−m): where that
 * underflows (m > 745) every term for n in the hundreds is below 1e-200 and the CDF is 1 to double precision.
 */
function erlangCdf(n: number, ratePerMs: number, t: number): number {
  if (t <= 0) return 0;
  const m = ratePerMs * t;
  let term = Math.exp(-m);
  let below = 0;
  for (let j = 0; j < n; j++) { below += term; term *= m / (j + 1); }
  return Math.max(0, 1 - below);
}

function checkQueue(q: BatchQueue): void {
  if (!(q.ratePerSec > 0) || !Number.isFinite(q.ratePerSec)) throw new RangeError(`rate must be > 0, got ${q.ratePerSec}`);
  if (!Number.isInteger(q.maxBatch) || q.maxBatch < 1) throw new RangeError(`maxBatch must be an integer ≥ 1, got ${q.maxBatch}`);
  if (!(q.timeoutMs >= 0) || !Number.isFinite(q.timeoutMs)) throw new RangeError(`timeout must be ≥ 0 ms, got ${q.timeoutMs}`);
}

/** True when every batch holds exactly one request. */
const single = (q: BatchQueue) => q.maxBatch === 1 || q.timeoutMs === 0;

/** P(batch size = b) for b = 1 … B (index b − 1), per batch. */
export function batchSizeDistribution(q: BatchQueue): number[] {
  checkQueue(q);
  const B = q.maxBatch;
  const out = new Array<number>(B).fill(0);
  if (single(q)) { out[0] = 1; return out; }
  const m = q.ratePerSec / 1000 * q.timeoutMs;
  let below = 0;
  for (let k = 0; k < B - 1; k++) { out[k] = poissonPmf(m, k); below += out[k]!; }
  out[B - 1] = Math.max(0, 1 - below);
  return out;
}

/** Mean requests per batch (per dispatched batch, not per request). */
export function meanBatchSize(q: BatchQueue): number {
  return batchSizeDistribution(q).reduce((s, p, i) => s + p * (i + 1), 0);
}

/** E[cost of a batch] / E[batch size]: USD per request when a batch of b costs batchUSD(b). */
export function costPerRequest(q: BatchQueue, batchUSD: (b: number) => number): number {
  const dist = batchSizeDistribution(q);
  let cost = 0;
  let size = 0;
  dist.forEach((p, i) => { if (p > 0) { cost += p * batchUSD(i + 1); size += p * (i + 1); } });
  return cost / size;
}

/** Fraction of requests whose latency (wait + exec(b)) exceeds xMs. */
export function latencyExceedance(q: BatchQueue, exec: ExecMs, xMs: number): number {
  checkQueue(q);
  if (single(q)) return exec(1) > xMs ? 1 : 0;
  const B = q.maxBatch;
  const T = q.timeoutMs;
  const lam = q.ratePerSec / 1000;
  const m = lam * T;
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  let exceed = 0;
  let size = 0;
  // Timed out with k later arrivals: the first waits T, the others U(0, T).
  for (let k = 0; k < B - 1; k++) {
    const p = poissonPmf(m, k);
    if (p === 0) continue;
    const y = xMs - exec(k + 1);
    const n = (T > y ? 1 : 0) + k * clamp01(1 - y / T);
    exceed += p * n;
    size += p * (k + 1);
  }
  // Filled at S ~ Erlang(B − 1, λ), S < T.
  const n = B - 1;
  const pFull = erlangCdf(n, lam, T);
  if (pFull > 0) {
    const y = xMs - exec(B);
    size += pFull * B;
    if (y < 0) {
      exceed += pFull * B;
    } else {
      const pWaitOver = Math.max(0, pFull - erlangCdf(n, lam, y)); // P(y < S < T): the first request
      exceed += pWaitOver;
      if (B >= 3) {
        // Middle requests: (B − 2) ∫_y^T f_n(s)(1 − y/s) ds, and f_n(s)/s = λ/(n − 1) · f_{n−1}(s).
        const pPrev = Math.max(0, erlangCdf(n - 1, lam, T) - erlangCdf(n - 1, lam, y));
        exceed += (B - 2) * Math.max(0, pWaitOver - y * lam / (n - 1) * pPrev);
      }
    }
  }
  return exceed / size;
}

/** The q-quantile of request latency (q = 0.99 → p99): the least x with P(latency > x) ≤ 1 − q. */
export function latencyQuantile(q: BatchQueue, exec: ExecMs, quantile = 0.99): number {
  if (single(q)) return exec(1);
  const tail = 1 - quantile;
  let lo = 0;
  let hi = (single(q) ? 0 : q.timeoutMs) + exec(q.maxBatch) + 1e-9;
  if (latencyExceedance(q, exec, lo) <= tail) return lo;
  for (let i = 0; i < 60 && hi - lo > 1e-4; i++) {
    const mid = (lo + hi) / 2;
    if (latencyExceedance(q, exec, mid) <= tail) hi = mid; else lo = mid;
  }
  return hi;
}

/** Mean request latency: E[wait] + request-weighted E[exec(b)]. */
export function meanLatency(q: BatchQueue, exec: ExecMs): number {
  checkQueue(q);
  if (single(q)) return exec(1);
  const B = q.maxBatch;
  const T = q.timeoutMs;
  const lam = q.ratePerSec / 1000;
  const m = lam * T;
  let total = 0;
  let size = 0;
  for (let k = 0; k < B - 1; k++) {
    const p = poissonPmf(m, k);
    // First waits T, others T/2 on average.
    total += p * (T + k * T / 2 + (k + 1) * exec(k + 1));
    size += p * (k + 1);
  }
  const n = B - 1;
  const pFull = erlangCdf(n, lam, T);
  if (pFull > 0) {
    // E[S; S < T] for Erlang(n, λ) = n/λ · P(Erlang(n + 1) < T); first waits S, the middle ones S/2 each.
    const meanS = n / lam * erlangCdf(n + 1, lam, T);
    total += meanS * (1 + (B - 2) / 2) + pFull * B * exec(B);
    size += pFull * B;
  }
  return total / size;
}
