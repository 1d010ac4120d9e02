/**
 * Discrete-event simulation of the batching policy of queue-model.ts, to check the model against (tests) and to
 * evaluate policies the closed forms do not cover. Seeded: the same inputs give the same numbers everywhere.
 */
import { Rng } from '../../core/index.js';
import type { BatchQueue, ExecMs } from './queue-model.js';

export interface SimResult {
  /** Latency of every request, ms, in arrival order. */
  latencies: Float64Array;
  /** Size of every dispatched batch, in dispatch order. */
  batchSizes: number[];
}

/** Poisson arrivals (exponential gaps) at rate λ, batched by size cap B and timeout T from the first request. */
export function simulateBatching(q: BatchQueue, exec: ExecMs, requests: number, seed: number): SimResult {
  const rng = new Rng(seed);
  const meanGapMs = 1000 / q.ratePerSec;
  const gap = () => -Math.log(1 - rng.next()) * meanGapMs;
  const latencies = new Float64Array(requests);
  const batchSizes: number[] = [];
  let t = 0;
  let i = 0;
  let next = gap();
  while (i < requests) {
    // A batch opens with the next arrival.
    t = next;
    const firstAt = t;
    const members = [t];
    next = t + gap();
    let closeAt = firstAt + q.timeoutMs;
    while (members.length < q.maxBatch && i + members.length < requests && next <= closeAt) {
      members.push(next);
      next += gap();
    }
    if (members.length === q.maxBatch || i + members.length === requests) closeAt = Math.min(closeAt, members[members.length - 1]!);
    const execMs = exec(members.length);
    for (const a of members) latencies[i++] = closeAt - a + execMs;
    batchSizes.push(members.length);
  }
  return { latencies, batchSizes };
}

/** Empirical q-quantile: the least sample with at least q of the samples at or below it. */
export function quantileOf(xs: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}
