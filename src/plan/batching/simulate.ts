/**
 * Discrete-event simulation of the batching policy of queue-model.ts, to check the model against (tests) and to
 * evaluate arrivals the closed forms do not cover (bursty traffic, trace replay: arrivals.ts). Seeded: the same
 * inputs give the same numbers everywhere.
 */
import { poissonTimes } from './arrivals.js';
import type { BatchQueue, ExecMs } from './queue-model.js';

export interface SimResult {
  /** Latency of every request, ms, in arrival order. */
  latencies: Float64Array;
  /** Size of every dispatched batch, in dispatch order. */
  batchSizes: number[];
}

/** Poisson arrivals (exponential gaps) at rate λ, batched by size cap B and timeout T from the first request. */
export function simulateBatching(q: BatchQueue, exec: ExecMs, requests: number, seed: number): SimResult {
  return simulateArrivals(poissonTimes(q.ratePerSec, Infinity, seed, requests), q, exec);
}

/**
 * Given arrival times (ascending, ms), batched by size cap B and timeout T from the first request of a batch: a
 * batch closes at its B-th request or T after its first (the last batch of a finite stream times out too).
 */
export function simulateArrivals(timesMs: ArrayLike<number>, q: Pick<BatchQueue, 'maxBatch' | 'timeoutMs'>, exec: ExecMs): SimResult {
  const n = timesMs.length;
  const latencies = new Float64Array(n);
  const batchSizes: number[] = [];
  let i = 0;
  while (i < n) {
    const first = i;
    const firstAt = timesMs[i]!;
    let closeAt = firstAt + q.timeoutMs;
    let j = i + 1;
    while (j - first < q.maxBatch && j < n && timesMs[j]! <= closeAt) j++;
    if (j - first === q.maxBatch) closeAt = Math.min(closeAt, timesMs[j - 1]!);
    const execMs = exec(j - first);
    for (let k = first; k < j; k++) latencies[k] = closeAt - timesMs[k]! + execMs;
    batchSizes.push(j - first);
    i = j;
  }
  return { latencies, batchSizes };
}

