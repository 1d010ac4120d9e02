/**
 * Which dtypes a tensor can carry across a process or network boundary, and their typed arrays (little-endian
 * elements: float16 as its raw 16-bit patterns, bool as one byte each).
 */
import { TYPED_ARRAYS, type DType, type TypedArrayCtor } from '../core/index.js';
import { CodecError } from './errors.js';

// The rows are core's dtype table (graph and the runtime read the same one); codec adds the 400 for the rest.
export { TYPED_ARRAYS, type TypedArrayCtor };

export function supportedDtype(dtype: DType): boolean {
  return Object.hasOwn(TYPED_ARRAYS, dtype);
}

/** The typed array for `dtype`; a CodecError (400) for a dtype that cannot be carried. */
export function typedArrayOf(dtype: DType): TypedArrayCtor {
  const C = supportedDtype(dtype) ? TYPED_ARRAYS[dtype] : undefined;
  if (!C) throw new CodecError(`tensor type '${String(dtype)}' cannot cross process or function boundaries`);
  return C;
}

/**
 * The table as JavaScript source (`{float32: Float32Array, ...}`), for scripts that run without mopar's modules
 * (the profiler's measurement child): generated from TYPED_ARRAYS, so there is still one table.
 */
export function typedArraysSource(): string {
  return `{ ${Object.entries(TYPED_ARRAYS).map(([d, C]) => `${d}: ${C!.name}`).join(', ')} }`;
}
