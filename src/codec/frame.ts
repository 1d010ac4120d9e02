/**
 * Binary framing: a JSON header followed by raw tensor bytes. This is the layout of the Open Inference Protocol's
 * binary tensor extension (the header's length travels in the `Inference-Header-Content-Length` HTTP header);
 * a sealed frame carries that length itself (magic "MPT1" + u32 LE), for bodies and files without HTTP headers.
 */
import type { DType, Feeds } from '../graph/index.js';
import { CodecError } from './errors.js';
import { bytesOf, tensorFromBytes } from './tensor.js';

/** JSON header, then the parts back to back. */
export function joinFrame(header: unknown, parts: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const head = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([head, ...parts]), headerLength: head.byteLength };
}

/** The parsed JSON header and the bytes after it (the whole body is JSON when `headerLength` is undefined). */
export function splitFrame(body: Uint8Array, headerLength?: number): { header: unknown; payload: Buffer } {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const len = headerLength ?? buf.byteLength;
  if (!Number.isInteger(len) || len < 0 || len > buf.byteLength) {
    throw new CodecError(`header length ${len} does not fit the ${buf.byteLength}-byte body`);
  }
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(0, len).toString('utf8'));
  } catch (err) {
    throw new CodecError(`malformed JSON ${headerLength === undefined ? 'body' : 'header'}: ${(err as Error).message}`);
  }
  return { header, payload: buf.subarray(len) };
}

/** Takes consecutive parts out of a payload, bounds-checked. */
export class PartReader {
  private offset = 0;
  constructor(private readonly payload: Uint8Array) {}
  take(size: unknown, what: string): Uint8Array {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || this.offset + size > this.payload.byteLength) {
      throw new CodecError(`${what} ${String(size)} runs past the end of the body`);
    }
    const part = this.payload.subarray(this.offset, this.offset + size);
    this.offset += size;
    return part;
  }
  get remaining(): number {
    return this.payload.byteLength - this.offset;
  }
}

const MAGIC = 0x3154504d; // "MPT1" read as u32 LE

export function isSealedFrame(body: Uint8Array): boolean {
  return body.byteLength >= 8 && Buffer.from(body.buffer, body.byteOffset, 4).readUInt32LE(0) === MAGIC;
}

export function sealFrame(header: unknown, parts: readonly Uint8Array[]): Buffer {
  const { body, headerLength } = joinFrame(header, parts);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(headerLength, 4);
  return Buffer.concat([prefix, body]);
}

export function openFrame(body: Uint8Array): { header: unknown; payload: Buffer } {
  if (!isSealedFrame(body)) throw new CodecError('body is not a sealed tensor frame (bad magic)');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const len = buf.readUInt32LE(4);
  if (8 + len > buf.byteLength) throw new CodecError('truncated frame header');
  return splitFrame(buf.subarray(8), len);
}

/** Where one tensor's bytes lie in a payload. */
export interface TensorEntry { name: string; dtype: DType; shape: number[]; offset: number; length: number }

/** A set of tensors as entries + parts; `align` pads each tensor's start (for typed views straight over a file). */
export function packTensors(feeds: Feeds, align = 1): { entries: TensorEntry[]; parts: Uint8Array[] } {
  const entries: TensorEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(feeds)) {
    const pad = (align - (offset % align)) % align;
    if (pad) { parts.push(new Uint8Array(pad)); offset += pad; }
    const bytes = bytesOf(t);
    entries.push({ name, dtype: t.dtype, shape: [...t.dims], offset, length: bytes.byteLength });
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  return { entries, parts };
}

/** The tensors `entries` describe, copied out of `payload` (they outlive it). */
export function unpackTensors(entries: unknown, payload: Uint8Array): Feeds {
  if (!Array.isArray(entries)) throw new CodecError('malformed frame header: expected a list of tensors');
  const feeds: Feeds = {};
  for (const e of entries as Partial<TensorEntry>[]) {
    if (!e || typeof e.name !== 'string' || typeof e.dtype !== 'string') throw new CodecError('malformed frame header: every tensor needs a name and a dtype');
    const { offset, length } = e;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset! < 0 || length! < 0 || offset! + length! > payload.byteLength) {
      throw new CodecError(`truncated frame at tensor '${e.name}'`);
    }
    try {
      feeds[e.name] = tensorFromBytes(e.dtype, e.shape ?? [], payload.subarray(offset!, offset! + length!), { copy: true });
    } catch (err) {
      throw new CodecError(`tensor '${e.name}': ${(err as Error).message}`);
    }
  }
  return feeds;
}

/** Tensors as one sealed frame. */
export function encodeTensorFrame(feeds: Feeds): Buffer {
  const { entries, parts } = packTensors(feeds);
  return sealFrame(entries, parts);
}

export function decodeTensorFrame(body: Uint8Array): Feeds {
  const { header, payload } = openFrame(body);
  return unpackTensors(header, payload);
}
