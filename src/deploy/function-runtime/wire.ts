/**
 * The Step Functions state between the Lambda functions of a chain (JSON, as Step Functions carries it):
 * `{"tensors": {name: {dtype, shape, data: <base64 of little-endian bytes>}}}`, built with the tensor codec; a
 * tensor may instead be a reference `{dtype, shape, s3: {bucket, key}}` to its raw bytes staged in the bucket.
 * (Over HTTP, functions exchange KServe v2 binary requests instead; see caller.ts.) The map form lets a Parallel
 * state merge its branches with States.JsonMerge.
 */
import type { DType, Feeds, PlainTensor } from '../../graph/index.js';
import type { ObjectStore } from '../../runtime/lean.js';
import { bytesOf, CodecError, fromBase64, tensorFromBytes as fromBytes, tensorFromValues, toBase64 } from '../../codec/index.js';

export interface WireRef { bucket: string; key: string }
export interface WireTensor {
  dtype: DType;
  shape: number[];
  data?: string;
  values?: (number | string | boolean)[];
  s3?: WireRef;
}
export interface WireMessage { tensors: Record<string, WireTensor> }

/** Error with an HTTP status: 400 for a malformed request. */
export { CodecError as WireError };

/** The tensor's bytes, without copying. */
export const tensorBytesView = bytesOf;

/** Names the tensor in any codec error. */
function named<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof CodecError) throw new CodecError(`tensor '${name}': ${err.message}`, err.status);
    throw err;
  }
}

/** A tensor from raw little-endian bytes (copied, so the typed array is aligned and owns its buffer). */
export function tensorFromBytes(name: string, dtype: DType, shape: number[], bytes: Uint8Array): PlainTensor {
  return named(name, () => fromBytes(dtype, shape, bytes, { copy: true }));
}

export function encodeJsonTensor(t: PlainTensor): WireTensor {
  return { dtype: t.dtype, shape: [...t.dims], data: toBase64(bytesOf(t)) };
}

/** Decodes one inline JSON tensor (references must be resolved by the caller first). */
export function decodeJsonTensor(name: string, w: WireTensor): PlainTensor {
  if (!w || typeof w !== 'object' || typeof w.dtype !== 'string' || !Array.isArray(w.shape)) {
    throw new CodecError(`tensor '${name}' needs {dtype, shape, data|values}`);
  }
  if (typeof w.data === 'string') return named(name, () => fromBytes(w.dtype, w.shape, fromBase64(w.data!)));
  if (Array.isArray(w.values)) return named(name, () => tensorFromValues(w.dtype, w.shape, w.values!));
  throw new CodecError(`tensor '${name}' has neither data (base64) nor values`);
}

export function encodeJson(feeds: Feeds): WireMessage {
  const tensors: Record<string, WireTensor> = {};
  for (const [k, t] of Object.entries(feeds)) tensors[k] = encodeJsonTensor(t);
  return { tensors };
}

/**
 * Tensors for the Step Functions state: smallest first, as many inline as fit under `limit` bytes of JSON (counted
 * from `initialSize`, what the state already holds); each of the others is put in the bucket at the reference
 * `stage(name)` gives and carried as that reference.
 */
export async function packTensors(feeds: Feeds, limit: number, initialSize: number, stage: (name: string) => WireRef | Promise<WireRef>,
  store: () => ObjectStore, into: Record<string, WireTensor> = {}): Promise<Record<string, WireTensor>> {
  let size = initialSize;
  const names = Object.keys(feeds).sort((a, b) => tensorBytesView(feeds[a]!).byteLength - tensorBytesView(feeds[b]!).byteLength);
  for (const name of names) {
    const inline = encodeJsonTensor(feeds[name]!);
    const add = JSON.stringify(inline).length + name.length + 8;
    if (size + add <= limit) {
      into[name] = inline;
      size += add;
      continue;
    }
    const ref = await stage(name);
    await store().put(ref.bucket, ref.key, tensorBytesView(feeds[name]!));
    into[name] = { dtype: feeds[name]!.dtype, shape: [...feeds[name]!.dims], s3: ref };
    size += JSON.stringify(into[name]).length + name.length + 8;
  }
  return into;
}
