/**
 * A dynamic-batch model's max batch (manifest `maxBatch`, docs/contracts.md): the largest leading dim a request's
 * dynamic-batch inputs may have. Every function's memory is sized for it, so a larger request is refused (400)
 * before it runs, by the embedded gateway and by the deployed entry alike, and the default body limit counts the
 * batch dim as it (not as the 64 of an unknown dynamic dim). Absent: no limit (fixed batch, older manifests).
 */
import type { Feeds } from '../graph/index.js';
import type { TensorMeta } from './model.js';
import { HttpError } from './validate.js';
import type { Manifest } from '../partition/index.js';

const isDynamic = (d: number | string | undefined) => typeof d === 'string' || (typeof d === 'number' && d < 0);

/** The batch a request carries: the largest leading dim of the inputs whose leading dim is dynamic (0: none). */
export function requestBatch(feeds: Feeds, inputs: readonly TensorMeta[]): number {
  let b = 0;
  for (const t of inputs) if (isDynamic(t.shape[0])) b = Math.max(b, feeds[t.name]?.dims[0] ?? 0);
  return b;
}

/** Refuses (HTTP 400, naming the limit) a request whose batch is over `maxBatch`. */
export function checkMaxBatch(feeds: Feeds, inputs: readonly TensorMeta[], maxBatch: number | undefined): void {
  if (maxBatch === undefined) return;
  const b = requestBatch(feeds, inputs);
  if (b > maxBatch) throw new HttpError(400, `batch ${b} is over this model's max batch ${maxBatch}`);
}

/**
 * The inputs with a dynamic leading dim fixed at `maxBatch`: what the body limit (requestBodyLimit) is sized
 * from, so that the largest valid request fits and nothing much bigger is read. Unchanged without a max batch.
 */
export function atMaxBatch(inputs: readonly TensorMeta[], maxBatch: number | undefined): TensorMeta[] {
  if (maxBatch === undefined) return [...inputs];
  return inputs.map((t) => (isDynamic(t.shape[0]) ? { ...t, shape: [maxBatch, ...t.shape.slice(1)] } : t));
}

/**
 * A request's rows ÷ the batch the manifest's `predictedMs` were predicted at (its `inputShapes`): 1 for a fixed
 * batch. Linear in the rows, so a small batch's need errs short (its fixed cost is scaled down too), as a
 * decision to throw a request away should. Unscaled, a batch of 2 on a plan made at batch 8 was judged to need
 * batch 8's time and shed with its SLO still reachable.
 */
export function predictionBatchScale(manifest: Pick<Manifest, 'inputShapes' | 'tensors'>, inputs: Record<string, { dims: number[] }>): number {
  // Not keyed on maxBatch: a batching build (bench --workload, serve --batching) has a dynamic batch and none.
  for (const [name, t] of Object.entries(inputs)) {
    const built = manifest.inputShapes?.[name]?.[0];
    const rows = t.dims[0];
    if (isDynamic(manifest.tensors[name]?.shape[0]) && built !== undefined && built > 0 && rows !== undefined && rows > 0) return rows / built;
  }
  return 1;
}
