/**
 * The one closeness rule for tensors, used by `verify`, the bench and the tests: numpy/torch `allclose`,
 *   |got − want| ≤ atol + rtol · |want|   for every element,
 * with rtol = 1e-4 and atol scaled to the reference output's magnitude (1e-5 × max|want|), so an element near
 * zero is judged against the tensor's scale (a detector's 1e-7 probabilities do not blow up a relative error)
 * while a wrong slice or weight (errors of the order of the values) still fails. atol never goes below
 * ATOL_FLOOR of the dtype: onnxruntime computes bounded activations (Sigmoid, Tanh, fused or not, depending on
 * what a slice lets it fuse) only to the resolution of their range, 2^-24 for float32, so near 0 two correct
 * runs differ by a few such units. (The PaddleOCR v4 detector on random input: every probability under 0.0025,
 * atol 2.5e-8, the split run 2^-22 where the unsplit one gives 2^-24.) Integer, bool and string outputs must
 * match exactly; NaN matches only NaN; shapes must be equal.
 */
import type { PlainTensor } from './runner.js';

export const DEFAULT_RTOL = 1e-4;
/** atol = ATOL_SCALE × max|want| of each output. */
export const DEFAULT_ATOL_SCALE = 1e-5;

/** 16 units of the dtype's resolution just below 1 (float32: 2^-20 ≈ 9.5e-7): the least atol (see above). */
export const ATOL_FLOOR: Readonly<Record<string, number>> = { float32: 2 ** -20, float64: 2 ** -49, float16: 2 ** -7, bfloat16: 2 ** -4 };

export interface CloseOptions { rtol?: number; atolScale?: number }

export interface Worst {
  /** Flat element index (row-major) of the element furthest outside (or nearest to) its bound. */
  index: number;
  got: number;
  want: number;
}

export interface Closeness {
  ok: boolean;
  rtol: number;
  atol: number;
  maxAbsErr: number;
  /** Largest |got − want| / |want| over elements with want ≠ 0 (informational: the rule is the one above). */
  maxRelErr: number;
  /** The element with the largest |got − want| / (atol + rtol·|want|); undefined when nothing was compared. */
  worst?: Worst;
  /** Why ok is false without an element to blame (missing tensor, shape or dtype mismatch). */
  mismatch?: string;
}

const FLOAT = new Set(['float32', 'float64', 'float16', 'bfloat16']);

export function allclose(got: PlainTensor | undefined, want: PlainTensor | undefined, opts: CloseOptions = {}): Closeness {
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atolScale = opts.atolScale ?? DEFAULT_ATOL_SCALE;
  const fail = (mismatch: string): Closeness => ({ ok: false, rtol, atol: 0, maxAbsErr: Infinity, maxRelErr: Infinity, mismatch });
  if (!got || !want) return fail(got ? 'reference tensor missing' : 'tensor missing');
  if (got.dims.length !== want.dims.length || got.dims.some((d, i) => d !== want.dims[i])) {
    return fail(`shape [${got.dims.join(',')}] instead of [${want.dims.join(',')}]`);
  }
  if (got.dtype !== want.dtype) return fail(`dtype ${got.dtype} instead of ${want.dtype}`);
  if (got.dtype === 'string') {
    const a = got.data as string[];
    const b = want.data as string[];
    const i = a.findIndex((s, j) => s !== b[j]);
    return i < 0 ? { ok: true, rtol, atol: 0, maxAbsErr: 0, maxRelErr: 0 } : fail(`string element ${i} differs`);
  }
  const a = got.data as ArrayLike<number | bigint>;
  const b = want.data as ArrayLike<number | bigint>;
  if (a.length !== b.length) return fail(`${a.length} values instead of ${b.length}`);
  const exact = !FLOAT.has(want.dtype);
  let peak = 0;
  if (!exact) for (let i = 0; i < b.length; i++) { const v = Math.abs(Number(b[i])); if (v > peak && v !== Infinity) peak = v; }
  const atol = exact ? 0 : Math.max(atolScale * peak, ATOL_FLOOR[want.dtype] ?? 0);
  const r = exact ? 0 : rtol;
  let ok = true;
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worstScore = -1;
  let worst: Worst | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    let d: number;
    if (Number.isNaN(x) || Number.isNaN(y)) d = Number.isNaN(x) && Number.isNaN(y) ? 0 : Infinity;
    else if (x === y) d = 0; // equal infinities too
    else d = Math.abs(x - y);
    if (d > maxAbsErr) maxAbsErr = d;
    if (d > 0 && y !== 0) maxRelErr = Math.max(maxRelErr, d / Math.abs(y));
    const bound = atol + r * Math.abs(y);
    const score = d === 0 ? 0 : bound > 0 ? d / bound : Infinity;
    if (score > worstScore) { worstScore = score; worst = { index: i, got: x, want: y }; }
    if (d > bound) ok = false;
  }
  return { ok, rtol: r, atol, maxAbsErr, maxRelErr, worst };
}
