/**
 * Opt-in lossy hand-off encodings for float32 tensors: fp16 (round to nearest even) and int8 (one symmetric
 * scale per tensor). The encoder measures the error it introduced, so the runtime can report it per edge.
 */
export type Lossy = 'fp16' | 'int8';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct
  return sign | h;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export interface LossyResult { bytes: Uint8Array; scale?: number; maxAbsErr: number; maxRelErr: number }

export function encodeLossy(kind: Lossy, x: Float32Array): LossyResult {
  let maxAbsErr = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
  if (kind === 'fp16') {
    const out = new Uint16Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = toHalf(x[i]!);
      maxAbsErr = Math.max(maxAbsErr, Math.abs(fromHalf(out[i]!) - x[i]!));
    }
    return { bytes: new Uint8Array(out.buffer), maxAbsErr, maxRelErr: maxAbs ? maxAbsErr / maxAbs : 0 };
  }
  const scale = maxAbs / 127 || 1;
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.max(-127, Math.min(127, Math.round(x[i]! / scale)));
    maxAbsErr = Math.max(maxAbsErr, Math.abs(out[i]! * scale - x[i]!));
  }
  // Relative to the tensor's range (per-element relative error is unbounded near zero for int8).
  return { bytes: new Uint8Array(out.buffer), scale, maxAbsErr, maxRelErr: maxAbs ? maxAbsErr / maxAbs : 0 };
}

export function decodeLossy(kind: Lossy, bytes: Uint8Array, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  if (kind === 'fp16') {
    const src = bytes.byteOffset % 2 ? new Uint16Array(Uint8Array.prototype.slice.call(bytes).buffer) : new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = fromHalf(src[i]!);
  } else {
    const src = new Int8Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = src[i]! * scale;
  }
  return out;
}
