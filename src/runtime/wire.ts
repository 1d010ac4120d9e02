/**
 * Tensors on the wire between the gateway and function hosts: inline bytes, losslessly compressed bytes
 * (byte-shuffled + a zlib codec chosen per edge), or a shared-memory segment passed by name.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { brotliCompressSync, brotliDecompressSync, constants as zc, deflateRawSync, inflateRawSync } from 'node:zlib';
import { MoparError } from '../core/index.js';
import { bytesOf, tensorFromBytes } from '../codec/index.js';
import { dtypeBytes, numel, type DType, type PlainTensor } from '../graph/lean.js';
import { decodeLossy, encodeLossy, type Lossy } from './lossy.js';
import type { Transport } from '../plan/index.js';

export type { Transport };
export type Codec = 'none' | 'deflate' | 'brotli';

interface WireBase { dtype: DType; dims: number[]; bytes: number }
export type WireTensor =
  | (WireBase & { enc: 'raw'; data: Uint8Array })
  | (WireBase & { enc: 'z'; codec: Codec; shuffle: number; data: Uint8Array; lossy?: Lossy; scale?: number })
  | (WireBase & { enc: 'shm'; path: string });

/** What the gateway asks a host to do with one output. */
/** `minBytes` on 'shm': a tensor smaller than this goes raw instead (the writer knows the size, the planner may not). */
export type OutputPlan = { enc: 'raw' } | { enc: 'z'; lossy?: Lossy } | { enc: 'shm'; path: string; minBytes?: number; reuse?: boolean };

/** Byte-shuffle: groups the k-th byte of every element together, so float exponents compress well. */
export function shuffle(src: Uint8Array, width: number): Uint8Array {
  if (width <= 1) return src;
  const n = Math.floor(src.length / width);
  const out = new Uint8Array(src.length);
  for (let b = 0; b < width; b++) {
    const base = b * n;
    for (let i = 0; i < n; i++) out[base + i] = src[i * width + b]!;
  }
  out.set(src.subarray(n * width), n * width);
  return out;
}

export function unshuffle(src: Uint8Array, width: number): Uint8Array {
  if (width <= 1) return src;
  const n = Math.floor(src.length / width);
  const out = new Uint8Array(src.length);
  for (let b = 0; b < width; b++) {
    const base = b * n;
    for (let i = 0; i < n; i++) out[i * width + b] = src[base + i]!;
  }
  out.set(src.subarray(n * width), n * width);
  return out;
}

function compress(codec: Codec, data: Uint8Array): Uint8Array {
  if (codec === 'deflate') return deflateRawSync(data, { level: 1 });
  if (codec === 'brotli') {
    return brotliCompressSync(data, { params: { [zc.BROTLI_PARAM_QUALITY]: 1, [zc.BROTLI_PARAM_SIZE_HINT]: data.length } });
  }
  return data;
}

function decompress(codec: Codec, data: Uint8Array): Uint8Array {
  if (codec === 'deflate') return inflateRawSync(data);
  if (codec === 'brotli') return brotliDecompressSync(data);
  return data;
}

/** Measured cost of one encode, for per-edge accounting. */
export interface EncodeStats {
  codec?: Codec; rawBytes: number; wireBytes: number; encodeMs: number;
  /** Opt-in lossy encoding used, and the error it introduced on this tensor. */
  lossy?: Lossy; maxAbsErr?: number; maxRelErr?: number;
  /** On an edge's first tensor: what each codec would have given (the measurement behind the pick). */
  trials?: CodecTrial[];
}

export interface CodecTrial { codec: Codec; ratio: number; compressMs: number; decompressMs: number }

/**
 * Per-edge codec choice: the first tensor of an edge is compressed with every codec and the one with the least
 * (encode + decode + transfer at `linkMBps`) time wins; 'none' when compression does not pay.
 */
export class CodecChooser {
  private readonly chosen = new Map<string, Codec>();
  /** Trials of edges chosen since last taken (reported once with the tensor that triggered them). */
  lastTrials?: CodecTrial[];
  constructor(private readonly linkMBps = 100) {}

  known(edge: string): Codec | undefined {
    return this.chosen.get(edge);
  }

  codecFor(edge: string, shuffled: Uint8Array): Codec {
    const known = this.chosen.get(edge);
    if (known) return known;
    let best: Codec = 'none';
    let bestCost = shuffled.length / (this.linkMBps * 1e3); // ms to move raw bytes
    const trials: CodecTrial[] = [];
    for (const codec of ['deflate', 'brotli'] as const) {
      const t0 = performance.now();
      const z = compress(codec, shuffled);
      const t1 = performance.now();
      decompress(codec, z);
      const t2 = performance.now();
      trials.push({ codec, ratio: shuffled.length / Math.max(1, z.length), compressMs: t1 - t0, decompressMs: t2 - t1 });
      const cost = (t2 - t0) + z.length / (this.linkMBps * 1e3);
      if (cost < bestCost) { best = codec; bestCost = cost; }
    }
    this.chosen.set(edge, best);
    this.lastTrials = trials;
    return best;
  }
}

export function encodeTensor(name: string, t: PlainTensor, plan: OutputPlan, chooser: CodecChooser): { wire: WireTensor; stats: EncodeStats } {
  const t0 = performance.now();
  const raw = bytesOf(t);
  const base = { dtype: t.dtype, dims: [...t.dims], bytes: raw.byteLength };
  let wire: WireTensor;
  let codec: Codec | undefined;
  let lossyStats: Pick<EncodeStats, 'lossy' | 'maxAbsErr' | 'maxRelErr'> = {};
  if (plan.enc === 'shm' && raw.byteLength >= (plan.minBytes ?? 0)) {
    writeSegment(plan.path, raw, plan.reuse === true);
    wire = { ...base, enc: 'shm', path: plan.path };
  } else if (plan.enc === 'z' && plan.lossy && t.dtype === 'float32') {
    const l = encodeLossy(plan.lossy, t.data as Float32Array);
    const width = plan.lossy === 'fp16' ? 2 : 1;
    const sh = shuffle(l.bytes, width);
    codec = chooser.codecFor(`${name}#${plan.lossy}`, sh);
    wire = { ...base, enc: 'z', codec, shuffle: width, data: codec === 'none' ? l.bytes : compress(codec, sh), lossy: plan.lossy, scale: l.scale };
    if (codec === 'none') wire.shuffle = 1;
    lossyStats = { lossy: plan.lossy, maxAbsErr: l.maxAbsErr, maxRelErr: l.maxRelErr };
  } else if (plan.enc === 'z' && chooser.known(name) === 'none') {
    codec = 'none'; // compression did not pay on this edge: skip the shuffle too
    wire = { ...base, enc: 'raw', data: raw };
  } else if (plan.enc === 'z') {
    const width = Math.max(1, dtypeBytes(t.dtype));
    const sh = shuffle(raw, width);
    codec = chooser.codecFor(name, sh);
    wire = codec === 'none'
      ? { ...base, enc: 'raw', data: raw }
      : { ...base, enc: 'z', codec, shuffle: width, data: compress(codec, sh) };
  } else {
    wire = { ...base, enc: 'raw', data: raw }; // also a 'shm' plan's tensor under its minBytes
  }
  const wireBytes = wire.enc === 'shm' ? 0 : wire.data.byteLength;
  const trials = chooser.lastTrials;
  chooser.lastTrials = undefined;
  return { wire, stats: { codec, rawBytes: raw.byteLength, wireBytes, encodeMs: performance.now() - t0, trials, ...lossyStats } };
}

/**
 * `alloc` lets a host read segments into buffers it reuses across invocations: a fresh buffer per read costs
 * as much in page faults as the copy itself.
 */
export function decodeTensor(w: WireTensor, alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)): PlainTensor {
  if (w.enc === 'raw') return tensorFromBytes(w.dtype, w.dims, w.data);
  if (w.enc === 'shm') return tensorFromBytes(w.dtype, w.dims, readSegment(w.path, alloc));
  const bytes = unshuffle(decompress(w.codec, w.data), w.shuffle);
  if (w.lossy) return { dtype: 'float32', dims: w.dims, data: decodeLossy(w.lossy, bytes, numel(w.dims), w.scale) };
  return tensorFromBytes(w.dtype, w.dims, bytes);
}

/**
 * A new segment: mode 0600, exclusive create (a stale name is an error, never silently reused). `reuse`: a spare
 * segment the gateway created and handed out again — written in place (O_NOFOLLOW: never through a link), resized
 * to the tensor; gone in the meantime, it is created anew.
 */
function writeSegment(path: string, raw: Uint8Array, reuse: boolean): void {
  if (reuse) {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (fd !== undefined) {
      try {
        let off = 0;
        while (off < raw.byteLength) off += writeSync(fd, raw, off, raw.byteLength - off, off);
        if (fstatSync(fd).size !== raw.byteLength) ftruncateSync(fd, raw.byteLength);
      } finally {
        closeSync(fd);
      }
      return;
    }
  }
  writeFileSync(path, raw, { mode: 0o600, flag: 'wx' });
}

function readSegment(path: string, alloc: (bytes: number) => Uint8Array): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new MoparError(`shared-memory segment ${path} is gone: ${(err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const buf = alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) throw new MoparError(`shared-memory segment ${path} is shorter than its ${size} bytes`);
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Reusable receive buffers by size: each invocation takes its own and gives them back when it finished. */
export class BufferPool {
  private readonly free = new Map<number, Uint8Array[]>();
  take(bytes: number): Uint8Array {
    return this.free.get(bytes)?.pop() ?? new Uint8Array(bytes);
  }
  give(bufs: Uint8Array[]): void {
    for (const b of bufs) {
      const list = this.free.get(b.byteLength) ?? [];
      if (list.length < 2) list.push(b); // bounded: a host keeps at most two spare buffers per size
      this.free.set(b.byteLength, list);
    }
  }
}

/** Size of a wire tensor's payload (what crossed the channel). */
export function wireBytes(w: WireTensor): number {
  return w.enc === 'shm' ? 0 : w.data.byteLength;
}
