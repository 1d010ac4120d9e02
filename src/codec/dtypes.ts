/**
 * The typed array that holds each dtype a tensor can carry across a process or network boundary, as
 * little-endian elements: float16 as its raw 16-bit patterns (Uint16Array, as onnxruntime-node does), bool as one
 * byte each. Every other dtype (string, complex, 4-bit and 8-bit floats) stays inside the process that made it.
 */
import type { DType, PlainTensor } from '../graph/index.js';
import { CodecError } from './errors.js';

export interface TypedArrayCtor {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): PlainTensor['data'];
  new (length: number): PlainTensor['data'];
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

export const TYPED_ARRAYS: Readonly<Partial<Record<DType, TypedArrayCtor>>> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array as unknown as TypedArrayCtor,
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
} as unknown as Partial<Record<DType, TypedArrayCtor>>;

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
