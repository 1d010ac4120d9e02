/**
 * Tensors on the wire between deployed functions. Two encodings of the same thing:
 * - JSON: `{"tensors": {name: {dtype, shape, data: <base64 of little-endian bytes>}}}` (what Lambda and Step
 *   Functions carry; `values: number[]` is also accepted from hand-written clients);
 * - binary (`application/vnd.mopar.tensors`): the codec's sealed tensor frame — no base64 inflation over HTTP.
 * A JSON tensor may instead be a reference `{dtype, shape, s3: {bucket, key}}` to bytes staged in an object store.
 * This file is bundled into the self-contained runtime module of every generated function: the codec it uses is
 * Node-only and small.
 */
import type { DType } from '../../graph/dtype.js';
import type { Feeds, PlainTensor } from '../../graph/runner.js';
import {
  bytesOf, CodecError, decodeTensorFrame, encodeTensorFrame, fromBase64, isSealedFrame, tensorFromBytes as fromBytes,
  tensorFromValues, toBase64,
} from '../../codec/index.js';

export const BINARY_TYPE = 'application/vnd.mopar.tensors';

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

export const encodeBinary = encodeTensorFrame;
export const decodeBinary = decodeTensorFrame;

/** Any request body the HTTP adapters accept: binary by content type or magic, else JSON text/object. */
export function decodeBody(body: unknown, contentType = ''): Feeds {
  if (body instanceof Uint8Array) {
    if (contentType.startsWith(BINARY_TYPE) || isSealedFrame(body)) return decodeBinary(body);
    body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }
  if (typeof body === 'string') {
    try { body = JSON.parse(body); } catch { throw new CodecError('request body is neither a mopar tensor message nor JSON'); }
  }
  const msg = body as Partial<WireMessage> | null;
  if (!msg || typeof msg !== 'object' || !msg.tensors || typeof msg.tensors !== 'object') {
    throw new CodecError('request JSON needs {"tensors": {name: {dtype, shape, data}}}');
  }
  const feeds: Feeds = {};
  for (const [k, w] of Object.entries(msg.tensors)) {
    if (w && w.s3) throw new CodecError(`tensor '${k}' is an object-store reference; this endpoint takes inline tensors`);
    feeds[k] = decodeJsonTensor(k, w);
  }
  return feeds;
}
