/**
 * `verifyPartition`: the built pipeline against the unsplit model on random inputs (several seeds).
 *
 * Relative error, per element: |a − b| / max(|b|, 1e-2 · max|b| over the tensor, 1e-30), with b the unsplit
 * model's value. The floor keeps elements near zero (where any float32 rounding is "infinitely" relative) from
 * dominating, while staying scaled to the tensor's own magnitude: onnxruntime fuses differently across a cut
 * (e.g. MatMul + Add → Gemm only when both sit in one function), which moves results by a few ulp; an element
 * at 0.1 % of the tensor's peak would turn that into 1e-4 "relative" error with a smaller floor. A wrong slice
 * or weight gives errors of order 1 either way. Integer and bool outputs compare the same way
 * (so any difference in them fails). NaN on one side only counts as an infinite error.
 */
import { CheckFailedError, MoparError } from '../core/errors.js';
import { openModel, openSession, randomInputs, runSession, type PlainTensor, type SessionOptions } from '../graph/index.js';
import { openPipeline } from './pipeline.js';

export const DEFAULT_TOLERANCE = 1e-4;
/** Relative errors are taken against at least this fraction of the tensor's largest magnitude. */
export const REL_FLOOR = 1e-2;

export interface VerifyOptions {
  runs?: number; seed?: number; tolerance?: number; threads?: number;
  /** onnxruntime optimisation level on both sides (default 'all', as deployed). */
  optimization?: SessionOptions['optimization'];
}

export interface VerifyResult {
  ok: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  runs: number;
  tolerance: number;
  functions: number;
  /** Worst errors per model output. */
  outputs: Record<string, { maxAbsErr: number; maxRelErr: number }>;
  /** Mean wall ms of the in-process pipeline and of the unsplit model (informational, not a benchmark). */
  pipelineMs: number;
  unsplitMs: number;
}

export async function verifyPartition(modelPath: string, dir: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const runs = opts.runs ?? 3;
  const seed = opts.seed ?? 1;
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const pipeline = await openPipeline(dir, { threads: opts.threads, optimization: opts.optimization });
  try {
    const m = pipeline.manifest;
    const { loaded, graph, inputShapes } = await openModel(modelPath, m.inputShapes ?? {}, { shapes: false });
    if (m.modelHash && m.modelHash !== loaded.hash) {
      throw new MoparError(`${dir} was built from another model (hash ${m.modelHash.slice(0, 12)}…) than ${modelPath} (${loaded.hash.slice(0, 12)}…)`);
    }
    const ref = await openSession(loaded.path, { threads: opts.threads ?? 1, optimization: opts.optimization });
    const res: VerifyResult = { ok: true, maxAbsErr: 0, maxRelErr: 0, runs, tolerance, functions: m.functions.length, outputs: {}, pipelineMs: 0, unsplitMs: 0 };
    try {
      for (let r = 0; r < runs; r++) {
        const feeds = randomInputs(graph, inputShapes, seed + r);
        let t = performance.now();
        const want = await runSession(ref, feeds);
        res.unsplitMs += (performance.now() - t) / runs;
        t = performance.now();
        const got = (await pipeline.run(feeds)).outputs;
        res.pipelineMs += (performance.now() - t) / runs;
        for (const name of m.outputs) {
          const e = compareTensors(got[name], want[name], name);
          const o = (res.outputs[name] ??= { maxAbsErr: 0, maxRelErr: 0 });
          o.maxAbsErr = Math.max(o.maxAbsErr, e.abs);
          o.maxRelErr = Math.max(o.maxRelErr, e.rel);
          res.maxAbsErr = Math.max(res.maxAbsErr, e.abs);
          res.maxRelErr = Math.max(res.maxRelErr, e.rel);
        }
      }
    } finally {
      await ref.release();
    }
    res.ok = res.maxRelErr <= tolerance;
    return res;
  } finally {
    await pipeline.close();
  }
}

/** Max absolute and relative error of `a` against reference `b` (definition in the file comment). */
export function compareTensors(a: PlainTensor | undefined, b: PlainTensor | undefined, name = 'tensor'): { abs: number; rel: number } {
  if (!a || !b) return { abs: Infinity, rel: Infinity };
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
    return { abs: Infinity, rel: Infinity };
  }
  if (a.dtype === 'string' || b.dtype === 'string') {
    const same = (a.data as string[]).every((s, i) => s === (b.data as string[])[i]);
    return same ? { abs: 0, rel: 0 } : { abs: Infinity, rel: Infinity };
  }
  const av = a.data as ArrayLike<number | bigint>;
  const bv = b.data as ArrayLike<number | bigint>;
  if (av.length !== bv.length) throw new MoparError(`output '${name}': ${av.length} vs ${bv.length} values`);
  let peak = 0;
  for (let i = 0; i < bv.length; i++) { const v = Math.abs(Number(bv[i])); if (v > peak) peak = v; }
  const floor = Math.max(REL_FLOOR * peak, 1e-30);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < av.length; i++) {
    const x = Number(av[i]);
    const y = Number(bv[i]);
    let d: number;
    if (Number.isNaN(x) || Number.isNaN(y)) d = Number.isNaN(x) && Number.isNaN(y) ? 0 : Infinity;
    else if (x === y) d = 0;
    else d = Math.abs(x - y);
    if (d > abs) abs = d;
    const q = d === 0 ? 0 : d / Math.max(Math.abs(y), floor);
    if (q > rel) rel = q;
  }
  return { abs, rel };
}

/** Throws CheckFailedError (exit 1) when a verification is out of tolerance. */
export function assertVerified(r: VerifyResult): void {
  if (!r.ok) {
    throw new CheckFailedError(`partition does not reproduce the model: max relative error ${r.maxRelErr.toExponential(2)} > ${r.tolerance} (max abs ${r.maxAbsErr.toExponential(2)}, ${r.runs} runs)`);
  }
}
