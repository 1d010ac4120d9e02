/**
 * Tensors on the wire between deployed functions. Two encodings of the same thing:
 * - JSON: `{"tensors": {name: {dtype, shape, data: <base64 of little-endian bytes>}}}` (what Lambda and Step
 *   Functions carry; `values: number[]` is also accepted from hand-written clients);
 * - binary (`application/vnd.mopar.tensors`): 4-byte magic "MPT1", u32 LE header length, a JSON header
 *   [{name, dtype, shape, length}], then each tensor's raw bytes in header order — no base64 inflation over HTTP.
 * A JSON tensor may instead be a reference `{dtype, shape, s3: {bucket, key}}` to bytes staged in an object store.
 * This file is bundled into the self-contained runtime module of every generated function: no Node-only
 * dependencies beyond Buffer, no mopar imports that carry weight.
 */
import type { DType } from '../../graph/dtype.js';
import type { Feeds, PlainTensor } from '../../graph/runner.js';

export const BINARY_TYPE = 'application/vnd.mopar.tensors';
const MAGIC = 0x3154504d; // "MPT1" read as u32 LE

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
export class WireError extends Error {
  constructor(message: string, readonly status = 400) { super(message); this.name = 'WireError'; }
}

type ArrayCtor = { new (buf: ArrayBuffer, offset?: number, length?: number): ArrayLike<unknown> & ArrayBufferView; BYTES_PER_ELEMENT: number; from(x: Iterable<unknown>): ArrayBufferView };
const ARRAYS: Partial<Record<DType, ArrayCtor>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array, float16: Uint16Array,
} as unknown as Partial<Record<DType, ArrayCtor>>;

function ctorOf(dtype: DType): ArrayCtor {
  const c = ARRAYS[dtype];
  if (!c) throw new WireError(`tensor type '${dtype}' cannot cross function boundaries`);
  return c;
}

function count(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new WireError(`bad tensor shape [${shape}]`);
    n *= d;
  }
  return n;
}

/** The tensor's bytes, without copying. */
export function tensorBytesView(t: PlainTensor): Uint8Array {
  const a = t.data as unknown as ArrayBufferView;
  if (!ArrayBuffer.isView(a)) throw new WireError(`tensor type '${t.dtype}' cannot cross function boundaries`);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A tensor from raw little-endian bytes (copied, so the typed array is aligned and owns its buffer). */
export function tensorFromBytes(name: string, dtype: DType, shape: number[], bytes: Uint8Array): PlainTensor {
  const ctor = ctorOf(dtype);
  const n = count(shape);
  if (bytes.byteLength !== n * ctor.BYTES_PER_ELEMENT) {
    throw new WireError(`tensor '${name}': ${bytes.byteLength} bytes do not fill ${dtype}[${shape}]`);
  }
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return { dtype, dims: [...shape], data: new ctor(buf, 0, n) as unknown as PlainTensor['data'] };
}

export function encodeJsonTensor(t: PlainTensor): WireTensor {
  return { dtype: t.dtype, shape: [...t.dims], data: Buffer.from(tensorBytesView(t)).toString('base64') };
}

/** Decodes one inline JSON tensor (references must be resolved by the caller first). */
export function decodeJsonTensor(name: string, w: WireTensor): PlainTensor {
  if (!w || typeof w !== 'object' || typeof w.dtype !== 'string' || !Array.isArray(w.shape)) {
    throw new WireError(`tensor '${name}' needs {dtype, shape, data|values}`);
  }
  if (typeof w.data === 'string') return tensorFromBytes(name, w.dtype, w.shape, Buffer.from(w.data, 'base64'));
  if (Array.isArray(w.values)) {
    const ctor = ctorOf(w.dtype);
    if (w.values.length !== count(w.shape)) throw new WireError(`tensor '${name}': ${w.values.length} values do not fill [${w.shape}]`);
    const big = w.dtype === 'int64' || w.dtype === 'uint64';
    const vals = w.values.map((v) => (big ? BigInt(v as number) : Number(v)));
    return { dtype: w.dtype, dims: [...w.shape], data: ctor.from(vals) as unknown as PlainTensor['data'] };
  }
  throw new WireError(`tensor '${name}' has neither data (base64) nor values`);
}

export function encodeJson(feeds: Feeds): WireMessage {
  const tensors: Record<string, WireTensor> = {};
  for (const [k, t] of Object.entries(feeds)) tensors[k] = encodeJsonTensor(t);
  return { tensors };
}

export function encodeBinary(feeds: Feeds): Buffer {
  const names = Object.keys(feeds);
  const views = names.map((n) => tensorBytesView(feeds[n]!));
  const header = Buffer.from(JSON.stringify(names.map((n, i) => ({
    name: n, dtype: feeds[n]!.dtype, shape: feeds[n]!.dims, length: views[i]!.byteLength,
  }))));
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(header.byteLength, 4);
  return Buffer.concat([head, header, ...views]);
}

export function decodeBinary(body: Uint8Array): Feeds {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.byteLength < 8 || buf.readUInt32LE(0) !== MAGIC) throw new WireError('body is not a mopar tensor message (bad magic)');
  const len = buf.readUInt32LE(4);
  if (8 + len > buf.byteLength) throw new WireError('truncated tensor message header');
  let header: { name: string; dtype: DType; shape: number[]; length: number }[];
  try { header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')); } catch { throw new WireError('malformed tensor message header'); }
  if (!Array.isArray(header)) throw new WireError('malformed tensor message header');
  const feeds: Feeds = {};
  let off = 8 + len;
  for (const h of header) {
    if (off + h.length > buf.byteLength) throw new WireError(`truncated tensor message at '${h.name}'`);
    feeds[h.name] = tensorFromBytes(h.name, h.dtype, h.shape, buf.subarray(off, off + h.length));
    off += h.length;
  }
  return feeds;
}

/** Any request body the HTTP adapters accept: binary by content type or magic, else JSON text/object. */
export function decodeBody(body: unknown, contentType = ''): Feeds {
  if (body instanceof Uint8Array) {
    if (contentType.startsWith(BINARY_TYPE) || (body.byteLength >= 4 && Buffer.from(body.buffer, body.byteOffset, 4).readUInt32LE(0) === MAGIC)) {
      return decodeBinary(body);
    }
    body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }
  if (typeof body === 'string') {
    try { body = JSON.parse(body); } catch { throw new WireError('request body is neither a mopar tensor message nor JSON'); }
  }
  const msg = body as Partial<WireMessage> | null;
  if (!msg || typeof msg !== 'object' || !msg.tensors || typeof msg.tensors !== 'object') {
    throw new WireError('request JSON needs {"tensors": {name: {dtype, shape, data}}}');
  }
  const feeds: Feeds = {};
  for (const [k, w] of Object.entries(msg.tensors)) {
    if (w && w.s3) throw new WireError(`tensor '${k}' is an object-store reference; this endpoint takes inline tensors`);
    feeds[k] = decodeJsonTensor(k, w);
  }
  return feeds;
}
