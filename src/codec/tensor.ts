/** Tensors as bytes and as JSON values, without copies where the layout allows. */
import type { DType, PlainTensor } from '../graph/index.js';
import { CodecError } from './errors.js';
import { typedArrayOf } from './dtypes.js';

/** Element count of a shape; a CodecError for anything but non-negative integer dims. */
export function elementCount(dims: readonly number[]): number {
  if (!Array.isArray(dims)) throw new CodecError(`tensor shape must be an array of non-negative integers`);
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new CodecError(`bad tensor shape [${dims}]: dims must be non-negative integers`);
    n *= d;
  }
  return n;
}

/** A byte view of a tensor's data (no copy). */
export function bytesOf(t: PlainTensor): Uint8Array {
  const d = t.data as unknown;
  if (!ArrayBuffer.isView(d)) throw new CodecError(`tensor type '${t.dtype}' cannot cross process or function boundaries`);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** A fresh copy (Buffer#slice would return a view). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(b);
}

/**
 * A typed tensor over little-endian bytes. Without `copy` it is a view, copied only when the bytes are not aligned
 * for the element type; with `copy` the tensor owns its buffer (for bytes from a pool or a reused request buffer).
 */
export function tensorFromBytes(dtype: DType, dims: readonly number[], bytes: Uint8Array, opts: { copy?: boolean } = {}): PlainTensor {
  const C = typedArrayOf(dtype);
  const n = elementCount(dims);
  if (bytes.byteLength !== n * C.BYTES_PER_ELEMENT) {
    throw new CodecError(`${bytes.byteLength} bytes do not fill ${dtype}[${dims}] (${n * C.BYTES_PER_ELEMENT} needed)`);
  }
  const b = opts.copy || bytes.byteOffset % C.BYTES_PER_ELEMENT !== 0 ? copyBytes(bytes) : bytes;
  return { dtype, dims: [...dims], data: new C(b.buffer as ArrayBuffer, b.byteOffset, n) };
}

/**
 * A tensor from JSON values (flattened in row-major order): numbers, or integer strings for 64-bit integers
 * beyond 2^53; bool from truthiness. float16 has no JSON form (its values would be bit patterns). `field` names
 * the values in messages.
 */
export function tensorFromValues(dtype: DType, dims: readonly number[], values: readonly unknown[], field = 'values'): PlainTensor {
  const C = typedArrayOf(dtype);
  const n = elementCount(dims);
  if (values.length !== n) throw new CodecError(`${values.length} values do not fill shape [${dims}] (${n} needed)`);
  if (dtype === 'bool') return { dtype, dims: [...dims], data: Uint8Array.from(values, (v) => (v ? 1 : 0)) as unknown as PlainTensor['data'] };
  if (dtype === 'float16') throw new CodecError(`float16 (FP16) tensors must be sent as binary data`);
  const big = dtype === 'int64' || dtype === 'uint64';
  for (const v of values) {
    const ok = (typeof v === 'number' && Number.isFinite(v) && (!big || Number.isInteger(v)))
      || (typeof v === 'string' && /^-?\d+$/.test(v)) || (typeof v === 'bigint' && big);
    if (!ok) throw new CodecError(`${field} must hold ${big ? 'integers' : 'numbers'}, got ${typeof v === 'bigint' ? String(v) : JSON.stringify(v)}`);
  }
  const data = new C(n);
  const dst = data as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    const v = values[i] as number | string | bigint;
    dst[i] = big ? BigInt(v) : Number(v);
  }
  return { dtype, dims: [...dims], data };
}

/**
 * Named tensors from their JSON form {dtype, shape, data} (a manifest's `constants`, a deployed pipeline's), each
 * through tensorFromValues; a CodecError names the tensor.
 */
export function tensorsFromValues(specs: Readonly<Record<string, { dtype: DType; shape: readonly number[]; data: readonly unknown[] }>> | undefined,
  what = 'constant'): Record<string, PlainTensor> {
  const out: Record<string, PlainTensor> = {};
  for (const [name, s] of Object.entries(specs ?? {})) {
    try {
      out[name] = tensorFromValues(s.dtype, s.shape, s.data, 'data');
    } catch (err) {
      throw new CodecError(`${what} '${name}': ${(err as Error).message}`);
    }
  }
  return out;
}

/** A tensor's elements as JSON numbers (64-bit integers as the nearest double, float16 as bit patterns). */
export function tensorValues(t: PlainTensor): number[] {
  const d = t.data as ArrayLike<unknown>;
  return typeof d[0] === 'bigint' ? Array.from(d as BigInt64Array, Number) : Array.from(d as ArrayLike<number>);
}
