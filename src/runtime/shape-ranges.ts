/**
 * Input dims a model was partitioned to vary within (manifest `ranges`, `--input NAME=LO..HI`, docs/contracts.md):
 * they are -1 in the model's metadata and symbolic in every function file, but memory and hand-offs were sized at
 * HI, so a request outside a range is refused (400, naming it) before any function runs — by the embedded gateway
 * and by the deployed entry alike — and the default body limit counts a ranged dim at HI (not as the 64 of an
 * unknown dynamic dim). Absent: no ranges (every other dim is fixed in the shapes).
 */
import { outsideRange, type Feeds, type InputRanges } from '../graph/index.js';
import type { TensorMeta } from './model.js';
import { HttpError } from './validate.js';

/** Refuses (HTTP 400, naming the dim and its range) a request with a ranged dim outside its range. */
export function checkShapeRanges(feeds: Feeds, ranges: InputRanges | undefined): void {
  if (!ranges) return;
  for (const name of Object.keys(ranges)) {
    const t = feeds[name];
    const why = t && outsideRange(name, t.dims, ranges);
    if (why) throw new HttpError(400, why);
  }
}

/** The inputs with every ranged dim at its top: what the body limit (requestBodyLimit) is sized from. */
export function atRangeTop(inputs: readonly TensorMeta[], ranges: InputRanges | undefined): TensorMeta[] {
  if (!ranges) return [...inputs];
  return inputs.map((t) => {
    const rs = ranges[t.name];
    return rs ? { ...t, shape: t.shape.map((d, i) => rs[i]?.[1] ?? d) } : t;
  });
}

/** `parameters` of the model's metadata (GET /v2/models/NAME): `ranges` {input: [[LO, HI] | null per dim]}. */
export function rangeParameters(ranges: InputRanges | undefined): { ranges?: InputRanges } {
  return ranges ? { ranges } : {};
}
