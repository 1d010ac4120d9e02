/**
 * Binary framing: a JSON header followed by raw tensor bytes. This is the layout of the Open Inference Protocol's
 * binary tensor extension (the header's length travels in the `Inference-Header-Content-Length` HTTP header);
 * packTensors lays out a set of tensors with their offsets (for a file beside its JSON entries).
 */
import type { DType, Feeds } from '../graph/index.js';
import { CodecError } from './errors.js';
import { bytesOf, tensorFromBytes } from './tensor.js';

/** JSON header, then the parts back to back. */
export function joinFrame(header: unknown, parts: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const f = frameParts(header, parts);
  return { body: Buffer.concat(f.chunks, f.length), headerLength: f.headerLength };
}

/**
 * The same frame as chunks to write one after another, the parts not copied: a writer that takes chunks (an HTTP
 * reply) saves joinFrame's copy of every byte (GPT-2's 25.7 MB of logits: 14–18 ms in the gateway, 2026-12-07).
 */
export function frameParts(header: unknown, parts: readonly Uint8Array[]): { chunks: Buffer[]; length: number; headerLength: number } {
  // The header is padded with JSON whitespace to a multiple of 8 bytes: the first part then starts aligned in the
  // receiver's buffer, which reads it in place instead of copying it (25.7 MB of float32 logits: 13–18 ms).
  const json = JSON.stringify(header);
  const head = Buffer.from(json.padEnd(json.length + ((8 - (Buffer.byteLength(json) % 8)) % 8), ' '));
  const chunks = [head, ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))];
  return { chunks, length: chunks.reduce((n, c) => n + c.byteLength, 0), headerLength: head.byteLength };
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
