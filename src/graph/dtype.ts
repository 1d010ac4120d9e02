/** ONNX element types: element counts and sizes of shapes; the dtype table is core's. */
import { dtypeBytes, MoparError, type DType } from '../core/index.js';
// The table itself lives in core (the lowest layer), so codec and the runtime read the same rows.
export { dtypeBytes, dtypeCode, dtypeFromCode, ORT_TYPES, type DType } from '../core/index.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The most elements one model input may have (8 GiB as float32). mopar allocates inputs whole (random inputs to
 * profile and verify, a request's tensor) and a JS typed array past 2^32 elements cannot exist at all: a larger
 * declared input is refused up front, by name, instead of failing deep inside an allocation.
 */
export const MAX_INPUT_ELEMENTS = 2 ** 31;

/** Throws a MoparError naming the input and its element count when it has more than MAX_INPUT_ELEMENTS. */
export function checkInputElements(name: string, shape: readonly number[], where = ''): void {
  const n = numel(shape);
  if (n > MAX_INPUT_ELEMENTS) {
    throw new MoparError(`${where}input '${name}' has ${n} elements (shape [${shape.join(', ')}]), over the ${MAX_INPUT_ELEMENTS} elements mopar holds in one input (8 GiB of float32)`);
  }
}

export function tensorBytes(dtype: DType, shape: readonly number[]): number {
  return Math.ceil(numel(shape) * dtypeBytes(dtype));
}
