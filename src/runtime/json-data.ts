/**
 * A JSON infer request's `inputs[i].data` arrays read straight from the body's bytes into doubles (issue 28):
 * JSON.parse of a 2.9 MB body builds 150k heap numbers that validation then copies twice more. The scanner takes
 * only what is plainly a (nested) array of JSON numbers; anything else in a data array (strings such as "NaN",
 * booleans, null, objects, or any syntax JSON.parse would refuse) makes it give up, and the caller parses the
 * body the generic way — so errors and their messages stay those of the generic path.
 */

export interface ScannedData {
  /** Index of the tensor in `inputs`. */
  input: number;
  values: Float64Array;
  count: number;
  /** Per nesting depth d (1 = the data array itself): values seen before the first array at depth d opened. */
  firstOpenAt: number[];
  /**
   * Numbers whose value in `values` is only an approximation (within APPROX_BOUND of the exact double), as
   * (index, start, end) triples into `source`; `scannedValues` makes them exact, or keeps them where the
   * tensor is FP32 and the approximation provably rounds to the same float.
   */
  approx: Uint32Array;
  approxCount: number;
  source: Buffer;
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
 * The values of a scanned data array, bit for bit those of JSON.parse — converted to `float32` when asked, as a
 * Float32Array would store JSON.parse's doubles. Approximated numbers (17-digit text: what printing float32 data
 * as doubles gives) are read exactly by the engine, except where the tensor is FP32 and the whole interval the
 * exact double can lie in rounds to one float (fround is monotonic): the float is then known without it.
 */
export function scannedValues(d: ScannedData, float32: boolean): Float64Array {
  const v = d.values;
  const a = d.approx;
  let text: string | undefined;
  for (let k = 0; k < d.approxCount; k++) {
    const i = a[3 * k]!;
    const x = v[i]!;
    if (float32) {
      const f = Math.fround(x);
      if (Number.isFinite(f) && Math.fround(x * (1 - APPROX_BOUND)) === f && Math.fround(x * (1 + APPROX_BOUND)) === f) { v[i] = f; continue; }
    }
    text ??= d.source.toString('latin1');
    const exact = Number(text.slice(a[3 * k + 1]!, a[3 * k + 2]!));
    v[i] = x < 0 ? -exact : exact;
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
 */
export function scanJsonData(body: Uint8Array, end = body.length, maxDepth = Infinity): { text: string; data: ScannedData[] } | undefined {
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
      const scanned = scanNumbers(buf, i, end, maxDepth - kind.length);
      if (!scanned) return undefined;
      pieces.push(buf.toString('utf8', from, i), '[]');
      data.push({ input, values: scanned.values, count: scanned.count, firstOpenAt: scanned.firstOpenAt, approx: scanned.approx, approxCount: scanned.approxCount, source: scanned.source });
      i = from = scanned.next;
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

/** A strict JSON array of numbers and arrays from `buf[at] === '['`; undefined on anything else. */
function scanNumbers(buf: Buffer, at: number, end: number, maxDepth: number): Omit<ScannedData, 'input'> & { next: number } | undefined {
  let values = new Float64Array(1024);
  // The slow way reads slices of one string (cheap views) instead of a new string per number.
  let text: string | undefined;
  let approx = new Uint32Array(0);
  let approxCount = 0;
  let count = 0;
  const firstOpenAt: number[] = [0, 0];
  let depth = 1;
  let i = at + 1;
  // After '[' a value or ']'; after ',' a value; after a value ',' or ']'.
  let expect: 'first' | 'value' | 'sep' = 'first';
  while (i < end) {
    const c = buf[i]!;
    if (isWs(c)) { i++; continue; }
    if (expect === 'sep') {
      if (c === 0x2c) { expect = 'value'; i++; continue; }
      if (c === 0x5d) { i++; if (--depth === 0) return { values, count, firstOpenAt, approx, approxCount, source: buf, next: i }; continue; }
      return undefined;
    }
    if (c === 0x5d && expect === 'first') { i++; expect = 'sep'; if (--depth === 0) return { values, count, firstOpenAt, approx, approxCount, source: buf, next: i }; continue; }
    if (c === 0x5b) {
      if (++depth > maxDepth) return undefined;
      if (firstOpenAt[depth] === undefined) firstOpenAt[depth] = count;
      expect = 'first';
      i++;
      continue;
    }
    // A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const start = i;
    let neg = false;
    if (c === 0x2d) { neg = true; i++; }
    let d = buf[i];
    if (d === undefined || d < 0x30 || d > 0x39) return undefined;
    let m = 0;
    let sig = 0;
    let exp = 0;
    if (d === 0x30) {
      d = buf[++i];
    } else {
      while (d !== undefined && d >= 0x30 && d <= 0x39) {
        if (sig < MAX_FAST_DIGITS) m = m * 10 + (d - 0x30); else exp++;
        sig++;
        d = buf[++i];
      }
    }
    if (d === 0x2e) {
      d = buf[++i];
      if (d === undefined || d < 0x30 || d > 0x39) return undefined;
      if (m === 0) while (d === 0x30) { exp--; d = buf[++i]; } // leading zeros of the fraction are not significant
      // Significant digits in small-integer chunks of up to 8 (one double multiply-add per chunk, not per digit).
      while (d !== undefined && d >= 0x30 && d <= 0x39 && sig < MAX_FAST_DIGITS) {
        let chunk = 0;
        let k = 0;
        const room = Math.min(8, MAX_FAST_DIGITS - sig);
        while (k < room && d !== undefined && d >= 0x30 && d <= 0x39) { chunk = chunk * 10 + (d - 0x30); k++; d = buf[++i]; }
        m = m * P10[k]! + chunk;
        exp -= k;
        sig += k;
      }
      while (d !== undefined && d >= 0x30 && d <= 0x39) { sig++; d = buf[++i]; }
    }
    if (d === 0x65 || d === 0x45) {
      d = buf[++i];
      let es = 1;
      if (d === 0x2b || d === 0x2d) { if (d === 0x2d) es = -1; d = buf[++i]; }
      if (d === undefined || d < 0x30 || d > 0x39) return undefined;
      let e = 0;
      while (d !== undefined && d >= 0x30 && d <= 0x39) { if (e < 1e6) e = e * 10 + (d - 0x30); d = buf[++i]; }
      exp += es * e;
    }
    let v: number;
    if (m === 0) v = 0;
    else if (sig <= MAX_FAST_DIGITS && m < 2 ** 53 && exp >= -22 && exp <= 22) v = exp < 0 ? m / P10[-exp]! : m * P10[exp]!;
    else if (exp >= -300 && exp <= 300 - MAX_FAST_DIGITS) {
      // Not exact here; scannedValues decides whether it must be (the engine's conversion, deferred).
      v = exp < 0 ? m / P10_APPROX[-exp]! : m * P10_APPROX[exp]!;
      if (3 * approxCount + 3 > approx.length) {
        const grown = new Uint32Array(Math.max(3072, approx.length * 2));
        grown.set(approx);
        approx = grown;
      }
      approx[3 * approxCount] = count;
      approx[3 * approxCount + 1] = neg ? start + 1 : start;
      approx[3 * approxCount + 2] = i;
      approxCount++;
    } else {
      // More digits or a larger exponent than the fast path rounds exactly: the engine's own conversion.
      text ??= buf.toString('latin1', at, end);
      v = Number(text.slice((neg ? start + 1 : start) - at, i - at));
    }
    if (count === values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    values[count++] = neg ? -v : v;
    expect = 'sep';
  }
  return undefined;
}
