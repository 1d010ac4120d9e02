/**
 * `verifyPartition`: the built pipeline against the unsplit model on random inputs (several seeds), judged by
 * the one closeness rule of graph/compare.ts (numpy's allclose: |a − b| ≤ atol + rtol·|b|, rtol 1e-4, atol
 * 1e-5 × max|b| per output). Max abs, max rel and the worst element are reported. `batch` runs it at another
 * batch than the partition was built (and profiled) for, where the model's batch is dynamic.
 */
import { CheckFailedError, MoparError } from '../core/index.js';
import {
  allclose, DEFAULT_RTOL, openModel, openSession, outsideRange, randomInputs, runSession, type InputShapes, type PlainTensor, type SessionOptions,
} from '../graph/index.js';
import type { Manifest } from './types.js';
import { openPipeline } from './pipeline.js';

/** rtol of the allclose rule (the `--tolerance` of verify). */
export const DEFAULT_TOLERANCE = DEFAULT_RTOL;

export interface VerifyOptions {
  runs?: number; seed?: number;
  /** rtol of the allclose rule (default 1e-4). */
  tolerance?: number;
  /** atol = atolScale × max|reference| per output (default 1e-5). */
  atolScale?: number;
  threads?: number;
  /** Batch size of the random inputs (default: the batch the partition was built for). */
  batch?: number;
  /**
   * Shapes of the random inputs (`verify --input NAME=d0,…`): where a dim is dynamic in the manifest (-1), any
   * size inside its range (manifest `ranges`); default: the shapes it was built for (the top of every range).
   */
  inputShapes?: InputShapes;
  /** onnxruntime optimisation level on both sides (default 'all', as deployed). */
  optimization?: SessionOptions['optimization'];
}

export interface VerifyResult {
  ok: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  runs: number;
  /** rtol (kept under its first name). */
  tolerance: number;
  rtol: number;
  /** Largest atol applied (each output's is atolScale × its max |reference|). */
  atol: number;
  /** The element furthest outside (or nearest to) its bound, over all outputs and runs. */
  worst?: { output: string; index: number; got: number; want: number };
  batch: number;
  functions: number;
  /** Worst errors per model output. */
  outputs: Record<string, { maxAbsErr: number; maxRelErr: number; atol: number; ok: boolean; mismatch?: string }>;
  /** Mean wall ms of the in-process pipeline and of the unsplit model (informational, not a benchmark). */
  pipelineMs: number;
  unsplitMs: number;
}

export async function verifyPartition(modelPath: string, dir: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const runs = opts.runs ?? 3;
  const seed = opts.seed ?? 1;
  const rtol = opts.tolerance ?? DEFAULT_TOLERANCE;
  const pipeline = await openPipeline(dir, { threads: opts.threads, optimization: opts.optimization });
  try {
    const m = pipeline.manifest;
    const { loaded, graph, inputShapes: built } = await openModel(modelPath, m.inputShapes ?? {}, { shapes: false });
    if (m.modelHash && m.modelHash !== loaded.hash) {
      throw new MoparError(`${dir} was built from another model (hash ${m.modelHash.slice(0, 12)}…) than ${modelPath} (${loaded.hash.slice(0, 12)}…)`);
    }
    if (opts.batch !== undefined && m.maxBatch !== undefined && opts.batch > m.maxBatch) {
      // Its functions' memory is sized for maxBatch: served, such a request is refused (400), so it is not verified.
      throw new MoparError(`batch ${opts.batch} is over this model's max batch ${m.maxBatch} (${dir} was partitioned with --max-batch ${m.maxBatch})`);
    }
    const batched = opts.batch === undefined ? built : atBatch(m.inputs, built, m.tensors, opts.batch);
    const inputShapes = opts.inputShapes ? atShapes(m, batched, opts.inputShapes, dir) : batched;
    const batch = inputShapes[m.inputs[0]!]?.[0] ?? 1;
    const ref = await openSession(loaded.path, { threads: opts.threads ?? 1, optimization: opts.optimization });
    const res: VerifyResult = {
      ok: true, maxAbsErr: 0, maxRelErr: 0, runs, tolerance: rtol, rtol, atol: 0, batch, functions: m.functions.length,
      outputs: {}, pipelineMs: 0, unsplitMs: 0,
    };
    let worstScore = -1;
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
          const c = allclose(got[name], want[name], { rtol, atolScale: opts.atolScale });
          const o = (res.outputs[name] ??= { maxAbsErr: 0, maxRelErr: 0, atol: 0, ok: true });
          o.maxAbsErr = Math.max(o.maxAbsErr, c.maxAbsErr);
          o.maxRelErr = Math.max(o.maxRelErr, c.maxRelErr);
          o.atol = Math.max(o.atol, c.atol);
          o.ok &&= c.ok;
          res.ok &&= c.ok;
          res.maxAbsErr = Math.max(res.maxAbsErr, c.maxAbsErr);
          res.maxRelErr = Math.max(res.maxRelErr, c.maxRelErr);
          res.atol = Math.max(res.atol, c.atol);
          if (c.worst) {
            const score = boundScore(c.worst, c.atol, c.rtol);
            if (score > worstScore) { worstScore = score; res.worst = { output: name, ...c.worst }; }
          }
          if (c.mismatch) o.mismatch ??= c.mismatch;
        }
      }
    } finally {
      await ref.release();
    }
    return res;
  } finally {
    await pipeline.close();
  }
}

function boundScore(w: { got: number; want: number }, atol: number, rtol: number): number {
  const d = Number.isNaN(w.got) !== Number.isNaN(w.want) ? Infinity : Math.abs(w.got - w.want);
  if (!(d > 0)) return 0;
  const bound = atol + rtol * Math.abs(w.want);
  return bound > 0 ? d / bound : Infinity;
}

/** Input shapes at another batch: only inputs whose leading dim the manifest publishes as dynamic (-1). */
function atBatch(inputs: string[], built: Record<string, number[]>, tensors: Record<string, { shape: number[] }>, batch: number): Record<string, number[]> {
  if (!Number.isInteger(batch) || batch < 1) throw new MoparError(`batch must be an integer ≥ 1, got ${batch}`);
  const out: Record<string, number[]> = {};
  for (const name of inputs) {
    const s = built[name]!;
    if (tensors[name]?.shape[0] !== -1) {
      if (batch !== s[0]) throw new MoparError(`input '${name}' has a fixed batch of ${s[0]}: this partition cannot run at batch ${batch}`);
      out[name] = s;
      continue;
    }
    out[name] = [batch, ...s.slice(1)];
  }
  return out;
}

/**
 * The built shapes with `given` ones in their place, each checked as serve would: a dim the partition fixed must
 * keep its size, a ranged one stay inside its range, the batch within maxBatch (exit 2 naming the limit).
 */
function atShapes(m: Manifest, built: InputShapes, given: InputShapes, dir: string): InputShapes {
  const out = { ...built };
  for (const [name, dims] of Object.entries(given)) {
    const declared = m.tensors?.[name]?.shape;
    if (!m.inputs.includes(name) || !declared) throw new MoparError(`--input names '${name}', which is not an input of ${dir} (inputs: ${m.inputs.join(', ')})`);
    if (dims.length !== declared.length) throw new MoparError(`--input ${name}: the partition's input has rank ${declared.length}, not ${dims.length}`);
    dims.forEach((d, i) => {
      if (declared[i] !== -1 && d !== declared[i]) throw new MoparError(`--input ${name}: dim ${i} is fixed to ${declared[i]} in ${dir}, not ${d}`);
    });
    // In serve's order: the max batch first, then the ranges.
    if (m.maxBatch !== undefined && declared[0] === -1 && dims[0]! > m.maxBatch) throw new MoparError(`batch ${dims[0]} is over this model's max batch ${m.maxBatch}`);
    const outside = outsideRange(name, dims, m.ranges);
    if (outside) throw new MoparError(outside);
    out[name] = [...dims];
  }
  return out;
}

/** Max absolute and relative error of `a` against reference `b`, and whether they are close (graph/compare.ts). */
export function compareTensors(a: PlainTensor | undefined, b: PlainTensor | undefined): { abs: number; rel: number; ok: boolean } {
  const c = allclose(a, b);
  return { abs: c.maxAbsErr, rel: c.maxRelErr, ok: c.ok };
}

/** Throws CheckFailedError (exit 1) when a verification is out of tolerance. */
export function assertVerified(r: VerifyResult): void {
  if (!r.ok) {
    const bad = Object.entries(r.outputs).find(([, o]) => o.mismatch);
    if (bad) throw new CheckFailedError(`partition does not reproduce the model: output '${bad[0]}': ${bad[1].mismatch}`);
    const w = r.worst ? `; worst: ${r.worst.output}[${r.worst.index}] = ${r.worst.got} instead of ${r.worst.want}` : '';
    throw new CheckFailedError(`partition does not reproduce the model: |a − b| > atol + rtol·|b| (rtol ${r.rtol}, atol ${r.atol.toExponential(2)}); max abs ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)} over ${r.runs} runs${w}`);
  }
}
