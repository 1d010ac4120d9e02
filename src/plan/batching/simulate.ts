/**
 * Discrete-event simulation of the batching policy of queue-model.ts, to check the model against (tests) and to
 * evaluate arrivals the closed forms do not cover (bursty traffic, trace replay: arrivals.ts). Seeded: the same
 * inputs give the same numbers everywhere.
 */
import { MinHeap } from '../../core/index.js';
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


/** One function of a group's chain as the instance simulation sees it: its time at batch b and its cold start. */
export interface ChainFunction { ms: ExecMs; coldMs: number }

/** Instances per function: a warm minimum (never reclaimed), a limit, and how long an idle one above it is kept. */
export interface InstancePolicy { minInstances: number; maxInstances: number; idleKeepMs: number }

export interface InstanceSimResult extends SimResult {
  /** Instances started per function (chain order, flattened), the initial warm ones not counted. */
  starts: number[];
}

/**
 * The batching policy of simulateArrivals with instances as a resource: every function of the chain (stages run
 * one after the other; a stage's functions in parallel) has a pool of instances. A call at time t runs on a free
 * instance; if none is free it starts one more (up to maxInstances, ready after the function's cold start) and
 * runs on whichever is free first — the new one or a busy one finishing (work-conserving, as runtime/pool.ts); at
 * the limit it waits for the first to free. An instance above the minimum idle for idleKeepMs is reclaimed.
 * Batches are walked in dispatch order, each through its whole chain (a later stage's call may be placed before
 * an earlier batch's later stage: exact for one-stage chains, close for short ones).
 *
 * Steady state, not a cold service: the pools start with max(minInstances, 1) instances and the arrivals are
 * replayed twice back to back, the first time with instant starts and not measured, so the second (measured)
 * pass finds the working set a service that has run a while keeps (within the limit and the keep-alive) rather
 * than queueing behind a ramp from one instance that a short replay of a busy group never outgrows.
 */
export function simulateInstances(timesMs: ArrayLike<number>, q: Pick<BatchQueue, 'maxBatch' | 'timeoutMs'>,
  chain: ChainFunction[][], policy: InstancePolicy): InstanceSimResult {
  const { minInstances, maxInstances, idleKeepMs } = policy;
  if (!(maxInstances >= 1) || !(minInstances >= 0) || minInstances > maxInstances) throw new RangeError(`bad instance policy ${JSON.stringify(policy)}`);
  const flat = chain.flat();
  const pools = flat.map(() => {
    const h = new MinHeap();
    for (let k = 0; k < Math.max(minInstances, 1); k++) h.push(-Infinity);
    return h;
  });
  const starts = flat.map(() => 0);
  const n = timesMs.length;
  const latencies = new Float64Array(n);
  const batchSizes: number[] = [];
  const run = (fi: number, t: number, b: number, counted: boolean): number => {
    const pool = pools[fi]!;
    // Reclaim instances above the minimum idle for longer than the keep-alive (the longest idle first).
    while (pool.size > minInstances && pool.size > 0 && pool.peek()! + idleKeepMs < t) pool.pop();
    let at: number;
    if (pool.size > 0 && pool.peek()! <= t) {
      pool.pop(); at = t;
    } else if (pool.size < maxInstances) {
      if (counted) starts[fi]!++;
      // The warm-up pass builds the working set without cold starts (a ramp longer than a short replay would
      // otherwise leave a backlog no steady service has).
      const ready = t + (counted ? flat[fi]!.coldMs : 0);
      if (pool.size > 0 && pool.peek()! < ready) {
        // A busy one frees before the new one is ready: the call runs there; the new one idles once ready.
        at = pool.pop(); pool.push(ready);
      } else {
        at = ready;
      }
    } else {
      at = pool.pop();
    }
    const end = at + flat[fi]!.ms(b);
    pool.push(end);
    return end;
  };
  const span = n ? timesMs[n - 1]! - timesMs[0]! : 0;
  for (const pass of [0, 1]) {
    // The warm-up pass ends one mean gap before the measured one begins.
    const shift = pass === 0 ? -(span + (n > 1 ? span / (n - 1) : 0)) : 0;
    let i = 0;
    while (i < n) {
      const first = i;
      const firstAt = timesMs[i]! + shift;
      let closeAt = firstAt + q.timeoutMs;
      let j = i + 1;
      while (j - first < q.maxBatch && j < n && timesMs[j]! + shift <= closeAt) j++;
      if (j - first === q.maxBatch) closeAt = Math.min(closeAt, timesMs[j - 1]! + shift);
      const b = j - first;
      let t = closeAt;
      let fi = 0;
      for (const stage of chain) {
        let end = t;
        for (let k = 0; k < stage.length; k++) end = Math.max(end, run(fi + k, t, b, pass === 1));
        fi += stage.length;
        t = end;
      }
      if (pass === 1) {
        for (let k = first; k < j; k++) latencies[k] = t - timesMs[k]!;
        batchSizes.push(b);
      }
      i = j;
    }
  }
  return { latencies, batchSizes, starts };
}
