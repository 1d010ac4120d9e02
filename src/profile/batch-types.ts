/**
 * Batch profile: how the whole model's latency and memory grow with the batch size, measured by
 * `mopar profile --batch` on a model with a dynamic batch dim, and the fit the planner reads (plan/batching).
 */
export interface BatchPoint {
  batch: number;
  threads: number;
  /** Whole-model latency of one batch, ms (median over runs). */
  ms: number;
}

/** latency(b) = fixedMs + perItemMs · b at `threads` (least squares over the measured sizes). */
export interface BatchLatencyFit { threads: number; fixedMs: number; perItemMs: number }

export interface BatchProfile {
  /** Batch sizes measured (ascending). */
  sizes: number[];
  points: BatchPoint[];
  fits: BatchLatencyFit[];
  /** memory(b) = peak RSS at batch 1 + perItemMB · (b − 1), fitted from measured peaks (0 when not measured). */
  memory: { perItemMB: number; measured: boolean };
  /** Largest batch the planner may choose (the largest measured size). */
  maxBatch: number;
}
