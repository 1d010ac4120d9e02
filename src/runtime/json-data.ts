/**
 * A JSON infer request's `inputs[i].data` arrays read straight from the body's bytes into doubles, or into the
 * tensor's floats where every input is FP32 (issue 28):
 * JSON.parse of a 2.9 MB body builds 150k heap numbers that validation then copies twice more. The scanner takes
 * only what is plainly a (nested) array of JSON numbers; anything else in a data array (strings such as "NaN",
 * booleans, null, objects, or any syntax JSON.parse would refuse) makes it give up, and the caller parses the
 * body the generic way — so errors and their messages stay those of the generic path.
 */

export interface ScannedData {
  /** Index of the tensor in `inputs`. */
  input: number;
  /** Float32Array where the scan was told every tensor is FP32 (the floats a Float32Array of JSON.parse's doubles holds). */
  values: Float64Array | Float32Array;
  count: number;
  /** Per nesting depth d (1 = the data array itself): values seen before the first array at depth d opened. */
  firstOpenAt: number[];
  /**
   * Numbers whose value in `values` is only an approximation (within APPROX_BOUND of the exact double), as
   * (index, start, end) triples into `source`; `scannedValues` makes them exact.
   */
  approx: Uint32Array;
  approxCount: number;
  source: Buffer;
  /** Float32 values only: the first value no float holds (beyond FP32, or Infinity), and its double as JSON.parse gives it. */
  bad?: { index: number; value: number };
}

/** Exact powers of ten: m · 10^e or m / 10^e with m < 2^53 and |e| ≤ 22 is correctly rounded (Clinger's fast path). */
const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Digits accumulated into the mantissa (beyond 2^53 it is not exact any more and the number takes the slow way). */
const MAX_FAST_DIGITS = 17;
/**
 * Powers of ten for the approximation: `10 ** k` is within a few ulps of 10^k. With at most two roundings of the
 * mantissa, digits past the 17th dropped (< 1e-16 relative) and one multiply or divide, an approximation is far
 * inside APPROX_BOUND of the correctly rounded double.
 */
const P10_APPROX = Array.from({ length: 301 }, (_, i) => 10 ** i);
const APPROX_BOUND = 2 ** -40;

/**
 * The values of a scanned data array, bit for bit those of JSON.parse — as a Float32Array would store JSON.parse's
 * doubles where the scan stored floats, else the doubles themselves (`float32`: converted as a Float32Array would,
 * for a Float64Array scan). Approximated numbers are read exactly by the engine here: for FP32 those are only the
 * ones near a float rounding boundary or beyond FP32's range (the scan keeps the rest, see roundsToOneFloat).
 */
export function scannedValues(d: ScannedData, float32: boolean): Float64Array | Float32Array {
  const v = d.values;
  const a = d.approx;
  let text: string | undefined;
  for (let k = 0; k < d.approxCount; k++) {
    const i = a[3 * k]!;
    if (float32 && v instanceof Float64Array) {
      const x = v[i]!;
      if (roundsToOneFloat(x)) { v[i] = Math.fround(x); continue; }
    }
    text ??= d.source.toString('latin1');
    const exact = Number(text.slice(a[3 * k + 1]!, a[3 * k + 2]!));
    v[i] = exact;
    if (v instanceof Float32Array && !(v[i]! - v[i]! === 0) && !(d.bad && d.bad.index < i)) d.bad = { index: i, value: exact };
  }
  d.approxCount = 0;
  return v.subarray(0, d.count);
}

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The body with each `inputs[i].data` array replaced by `[]`, and the arrays' values; undefined where the fast
 * path does not apply (see above). The text keeps every other byte, so JSON.parse of it fails exactly where the
 * body's would outside the data arrays. Nesting deeper than `maxDepth` (arrays and objects, as the caller's own
 * depth check counts them) is undefined too: the caller's check then refuses it, and this scan saves it a pass.
 * `target`: `float32` where every tensor the values can go to is FP32 (floats stored as read); `sizes[k]`, the
 * values input k is expected to have (its array is allocated once at that size, no growth and no copy).
 */
export function scanJsonData(body: Uint8Array, end = body.length, maxDepth = Infinity,
  target: { float32?: boolean; sizes?: ReadonlyArray<number | undefined> } = {}): { text: string; data: ScannedData[] } | undefined {
  const buf = Buffer.from(body.buffer, body.byteOffset, end);
  // Per open container: its kind, the last key read in it (objects), its element index (arrays).
  const kind: number[] = [];
  const key: Array<string | undefined> = [];
  const index: number[] = [];
  const data: ScannedData[] = [];
  const pieces: string[] = [];
  let from = 0;
  let i = 0;
  let seenInputs = false;
  while (i < end) {
    const c = buf[i]!;
    if (c === 0x22) {
      const start = i + 1;
      i++;
      let escaped = false;
      while (i < end && buf[i] !== 0x22) { if (buf[i] === 0x5c) { escaped = true; i++; } i++; }
      if (i >= end) return undefined;
      const s = i;
      i++;
      const top = kind.length - 1;
      if (kind[top] === 0x7b) {
        let j = i;
        while (isWs(buf[j])) j++;
        if (buf[j] === 0x3a) {
          // An escaped key may spell "data" differently: leave such bodies to JSON.parse.
          if (escaped) return undefined;
          key[top] = s - start <= 8 ? buf.toString('latin1', start, s) : '';
          // The same top-level key twice: JSON.parse keeps the last "inputs", whose data this scan may not have.
          if (top === 0 && key[0] === 'inputs') {
            if (seenInputs) return undefined;
            seenInputs = true;
          }
        }
      }
      continue;
    }
    if (c === 0x5b && kind.length === 3 && kind[0] === 0x7b && key[0] === 'inputs' && kind[1] === 0x5b && kind[2] === 0x7b && key[2] === 'data') {
      const input = index[1]!;
      // The same key twice in one tensor: JSON.parse keeps the last; not worth following here.
      if (data.some((d) => d.input === input)) return undefined;
      // n values take at least 2n + 1 bytes: a size past what the body holds is a client's error, not an allocation.
      const size = Math.max(16, Math.min(target.sizes?.[input] ?? 1024, Math.ceil((end - i) / 2)));
      const scanned = scanNumbers(buf, i, end, maxDepth - kind.length, target.float32 ?? false, size);
      if (!scanned) return undefined;
      pieces.push(buf.toString('utf8', from, i), '[]');
      const { next, ...rest } = scanned;
      data.push({ input, ...rest });
      i = from = next;
      key[2] = undefined;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (kind.length >= maxDepth) return undefined;
      kind.push(c);
      key.push(undefined);
      index.push(0);
    } else if (c === 0x7d || c === 0x5d) {
      kind.pop();
      key.pop();
      index.pop();
    } else if (c === 0x2c && kind[kind.length - 1] === 0x5b) {
      index[index.length - 1]!++;
    }
    i++;
  }
  if (data.length === 0) return undefined;
  pieces.push(buf.toString('utf8', from, end));
  return { text: pieces.join(''), data };
}

/** States of scanNumbers: after '[' (a value or ']'), after ',' (a value), after a value (',' or ']'). */
const FIRST = 0;
const VALUE = 1;
const SEP = 2;

/** A strict JSON array of numbers and arrays from `buf[at] === '['`; undefined on anything else. */
function scanNumbers(buf: Buffer, at: number, end: number, maxDepth: number, float32: boolean, size: number): Omit<ScannedData, 'input'> & { next: number } | undefined {
  // One of the two is used: FP32 tensors' floats are stored as they are read (no doubles, no copy after).
  let f64 = float32 ? undefined : new Float64Array(size);
  let f32 = float32 ? new Float32Array(size) : undefined;
  let capacity = size;
  let bad: ScannedData['bad'];
  // The slow way reads slices of one string (cheap views) instead of a new string per number.
  let text: string | undefined;
  let approx = new Uint32Array(0);
  let approxCount = 0;
  let count = 0;
  const firstOpenAt: number[] = [0, 0];
  let depth = 1;
  let i = at + 1;
  let expect = FIRST;
  let closed = false;
  const words = new DataView(buf.buffer, buf.byteOffset, end);
  while (i < end) {
    const c = buf[i]!;
    if (expect === SEP) {
      if (c === 0x2c) { expect = VALUE; i++; continue; }
      if (c === 0x5d) { i++; if (--depth === 0) { closed = true; break; } continue; }
      if (isWs(c)) { i++; continue; }
      return undefined;
    }
    if (isWs(c)) { i++; continue; }
    if (c === 0x5d && expect === FIRST) { i++; expect = SEP; if (--depth === 0) { closed = true; break; } continue; }
    if (c === 0x5b) {
      if (++depth > maxDepth) return undefined;
      if (firstOpenAt[depth] === undefined) firstOpenAt[depth] = count;
      expect = FIRST;
      i++;
      continue;
    }
    // A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  — `x` is the byte less '0' (NaN past the end: no digit).
    const start = i;
    const neg = c === 0x2d;
    if (neg) i++;
    let x = buf[i]! - 0x30;
    if (!(x >= 0 && x <= 9)) return undefined;
    let m = 0;
    let sig = 0;
    let exp = 0;
    if (x === 0) {
      x = buf[++i]! - 0x30;
    } else {
      while (x >= 0 && x <= 9) {
        if (sig < MAX_FAST_DIGITS) m = m * 10 + x; else exp++;
        sig++;
        x = buf[++i]! - 0x30;
      }
    }
    if (x === 0x2e - 0x30) {
      x = buf[++i]! - 0x30;
      if (!(x >= 0 && x <= 9)) return undefined;
      if (m === 0) while (x === 0) { exp--; x = buf[++i]! - 0x30; } // leading zeros of the fraction are not significant
      // Significant digits in small-integer chunks of up to 8 (one double multiply-add per chunk, not per digit).
      while (x >= 0 && x <= 9 && sig < MAX_FAST_DIGITS) {
        let chunk = 0;
        let k = 0;
        const room = MAX_FAST_DIGITS - sig < 8 ? MAX_FAST_DIGITS - sig : 8;
        // Eight digits from two 4-byte words where they are there (a byte loop costs ~1 ns a byte on a slow core).
        if (room === 8 && i + 8 <= end) {
          const lo = words.getInt32(i, true);
          const hi = words.getInt32(i + 4, true);
          if (fourDigits(lo) && fourDigits(hi)) { chunk = valueOf4(lo) * 10000 + valueOf4(hi); k = 8; i += 8; x = buf[i]! - 0x30; }
        }
        if (k === 0) do { chunk = chunk * 10 + x; k++; x = buf[++i]! - 0x30; } while (k < room && x >= 0 && x <= 9);
        m = m * P10[k]! + chunk;
        exp -= k;
        sig += k;
      }
      while (x >= 0 && x <= 9) { sig++; x = buf[++i]! - 0x30; }
    }
    if (x === 0x65 - 0x30 || x === 0x45 - 0x30) {
      x = buf[++i]! - 0x30;
      let es = 1;
      if (x === 0x2b - 0x30 || x === 0x2d - 0x30) { if (x === 0x2d - 0x30) es = -1; x = buf[++i]! - 0x30; }
      if (!(x >= 0 && x <= 9)) return undefined;
      let e = 0;
      while (x >= 0 && x <= 9) { if (e < 1e6) e = e * 10 + x; x = buf[++i]! - 0x30; }
      exp += es * e;
    }
    if (count === capacity) {
      // Sized for the rest of the body at the density read so far (one copy, not a doubling series).
      capacity = Math.max(2 * capacity, Math.ceil(count * ((end - at) / (i - at))) + 16);
      if (f32) { const grown = new Float32Array(capacity); grown.set(f32); f32 = grown; }
      if (f64) { const grown = new Float64Array(capacity); grown.set(f64); f64 = grown; }
    }
    let v: number;
    let approximate = false;
    if (m === 0) v = 0;
    else if (sig <= MAX_FAST_DIGITS && m < 2 ** 53 && exp >= -22 && exp <= 22) v = exp < 0 ? m / P10[-exp]! : m * P10[exp]!;
    else if (exp >= -300 && exp <= 300 - MAX_FAST_DIGITS) {
      // Not exact: kept for FP32 where the whole interval rounds to one float (roundsToOneFloat), else made exact by scannedValues.
      v = exp < 0 ? m / P10_APPROX[-exp]! : m * P10_APPROX[exp]!;
      approximate = !f32 || !roundsToOneFloat(v);
    } else {
      // More digits or a larger exponent than the fast path rounds exactly: the engine's own conversion.
      text ??= buf.toString('latin1', at, end);
      v = Number(text.slice((neg ? start + 1 : start) - at, i - at));
    }
    if (neg) v = -v;
    if (approximate) {
      if (3 * approxCount + 3 > approx.length) {
        const grown = new Uint32Array(Math.max(3072, approx.length * 2));
        grown.set(approx);
        approx = grown;
      }
      approx[3 * approxCount] = count;
      approx[3 * approxCount + 1] = start; // with its sign: Number('-…') is the negated conversion
      approx[3 * approxCount + 2] = i;
      approxCount++;
    }
    if (f32) {
      const f = Math.fround(v);
      f32[count] = f;
      // Beyond FP32 (or Infinity): the first such value and its double, for the caller's message.
      if (!approximate && !(f - f === 0) && !bad) bad = { index: count, value: v };
    } else f64![count] = v;
    count++;
    expect = SEP;
  }
  if (!closed) return undefined;
  return { values: (f32 ?? f64)!, count, firstOpenAt, approx, approxCount, source: buf, next: i, ...(bad ? { bad } : {}) };
}

/** Whether the 4 bytes of `w` (little-endian) are ASCII digits: each byte's high nibble 3, and no low nibble above 9. */
function fourDigits(w: number): boolean {
  return (w & 0xf0f0f0f0) === 0x30303030 && ((w + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

/**
 * The number 4 ASCII digits spell, first byte most significant: pairs (d0·10 + d1, d2·10 + d3) in bytes 0 and 2,
 * then the two pairs; no partial sum passes 255 per byte (or 9999), so nothing carries into a neighbour.
 */
function valueOf4(w: number): number {
  let t = w - 0x30303030;
  t = (t * 10 + (t >>> 8)) & 0x00ff00ff;
  return (t * 100 + (t >>> 16)) & 0xffff;
}

/** Whether every double within APPROX_BOUND of `x` rounds to the same finite float as `x` (fround is monotonic). */
function roundsToOneFloat(x: number): boolean {
  const f = Math.fround(x);
  return f - f === 0 && Math.fround(x * (1 - APPROX_BOUND)) === f && Math.fround(x * (1 + APPROX_BOUND)) === f;
}
