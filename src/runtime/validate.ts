/**
 * Validation of KServe v2 request bodies before any tensor is built: the body's structure against
 * docs/schemas/infer-request.schema.json (core/validate, the one validation layer), then each JSON `data` array against its declared shape and
 * datatype — nesting no deeper than the shape, no more values than it holds, every value representable in the
 * datatype (the first bad one is named by its flat index). Everything here is a client error (HTTP 400).
 */
import { MoparError, errorMessage, provideSchema, validate } from '../core/index.js';
import { readFileSync } from 'node:fs';
import type { DType } from '../graph/index.js';

export class HttpError extends MoparError {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}
export const badRequest = (m: string) => new HttpError(400, m);

// Read beside this module (and inlined by the deploy bundler), so deployed entries validate requests too.
provideSchema('infer-request', () =>
  JSON.parse(readFileSync(new URL('../../docs/schemas/infer-request.schema.json', import.meta.url), 'utf8')) as object);

/** Checks the request's structure (field types, counts) with the one validation layer; 400 naming the first bad field. */
export function checkInferRequest(req: unknown): void {
  try {
    validate('infer-request', req, 'invalid inference request');
  } catch (err) {
    throw badRequest(errorMessage(err));
  }
}

/**
 * Flattens a (possibly nested) JSON `data` array without recursion: nested deeper than the shape's rank, or
 * more values than the shape holds, is refused as soon as it is seen (a 10k-deep array costs nothing).
 */
export function flattenData(input: string, data: unknown[], rank: number, count: number): unknown[] {
  const maxDepth = Math.max(1, rank);
  const out: unknown[] = [];
  const stack: Array<{ a: unknown[]; i: number }> = [{ a: data, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.a.length) { stack.pop(); continue; }
    const v = top.a[top.i++];
    if (Array.isArray(v)) {
      if (stack.length >= maxDepth) throw badRequest(`input '${input}': 'data' is nested deeper than its shape (rank ${rank})`);
      stack.push({ a: v, i: 0 });
    } else {
      if (out.length >= count) throw badRequest(`input '${input}': more values in 'data' than shape holds (${count})`);
      out.push(v);
    }
  }
  return out;
}

const INT_RANGE: Partial<Record<DType, [bigint, bigint]>> = {
  int8: [-128n, 127n], uint8: [0n, 255n], int16: [-32768n, 32767n], uint16: [0n, 65535n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n], uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const INTEGER_TEXT = /^-?\d{1,40}$/;

/**
 * Converts flat JSON values into the datatype's numbers; throws a 400 naming the input and the first value that
 * does not fit. Integers may be JSON numbers (exact only up to 2^53, so larger ones must come as decimal strings)
 * or decimal strings; floats may also be the strings "NaN", "Infinity", "-Infinity" (what mopar sends back).
 */
export function convertValues(input: string, dtype: DType, v2: string, flat: unknown[]): number[] | bigint[] | Uint8Array {
  const bad = (i: number, why: string): never => {
    const v = flat[i];
    const shown = typeof v === 'number' ? String(v) : JSON.stringify(v);
    throw badRequest(`input '${input}': value ${shown && shown.length > 40 ? `${shown.slice(0, 40)}…` : shown} at index ${i} ${why}`);
  };
  if (dtype === 'bool') {
    const out = new Uint8Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (v === true || v === 1) out[i] = 1;
      else if (!(v === false || v === 0)) bad(i, `is not a ${v2} (true, false, 0 or 1)`);
    }
    return out;
  }
  const range = INT_RANGE[dtype];
  if (range) {
    const [lo, hi] = range;
    const wide = dtype === 'int64' || dtype === 'uint64';
    const out: Array<number | bigint> = new Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      let b: bigint;
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) bad(i, `is not an integer (${v2})`);
        if (wide && !Number.isSafeInteger(v)) bad(i, `is beyond 2^53 as a JSON number (${v2} values that large must be sent as decimal strings)`);
        b = BigInt(v);
      } else if (typeof v === 'string' && INTEGER_TEXT.test(v)) {
        b = BigInt(v);
      } else {
        return bad(i, `is not an integer (${v2})`);
      }
      if (b < lo || b > hi) bad(i, `does not fit ${v2} (${lo} … ${hi})`);
      out[i] = wide ? b : Number(b);
    }
    return out as number[] | bigint[];
  }
  if (dtype === 'float32' || dtype === 'float64') {
    const out = new Array<number>(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      let x: number;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'string' && v in NON_FINITE) { out[i] = NON_FINITE[v]!; continue; }
      else if (typeof v === 'string' && INTEGER_TEXT.test(v)) x = Number(v);
      else return bad(i, `is not a number (${v2})`);
      // JSON.parse turns 1e400 into Infinity: the client sent a finite value that no float holds.
      if (!Number.isFinite(x)) bad(i, `is beyond the range of ${v2}`);
      if (dtype === 'float32' && !Number.isFinite(Math.fround(x))) bad(i, `is beyond the range of FP32 (±3.4028234663852886e38)`);
      out[i] = x;
    }
    return out;
  }
  throw badRequest(`input '${input}': ${v2} inputs must be sent as binary data`);
}

/**
 * One output tensor's `data` as JSON text: 64-bit integers exactly (JSON numbers of any size; JSON.stringify
 * would round them through doubles), non-finite floats as the strings "NaN", "Infinity", "-Infinity" (bare NaN
 * is not JSON and `null` would be a silent wrong answer). Returns how many values were not finite.
 */
export function outputDataJson(data: ArrayLike<number | bigint>): { text: string; nonFinite: number } {
  const n = data.length;
  if (n > 0 && typeof data[0] === 'bigint') return { text: `[${Array.prototype.join.call(data, ',')}]`, nonFinite: 0 };
  const d = data as ArrayLike<number>;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i])) nonFinite++;
  if (!nonFinite) return { text: JSON.stringify(Array.from(d)), nonFinite };
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const x = d[i]!;
    parts[i] = Number.isFinite(x) ? String(x) : Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
  }
  return { text: `[${parts.join(',')}]`, nonFinite };
}
