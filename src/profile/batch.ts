/**
 * Batch profile (`mopar profile --batch`): whole-model latency at batch sizes 1…B and 1–2 intra-op threads, on a
 * model whose leading input dim is symbolic (`zoo build --batch dynamic`, or an exporter's dynamic axes), and a
 * fitted latency(b) = fixedMs + perItemMs · b per thread count for the batching planner (plan/batching).
 * Memory per extra item is the activation model's (not measured): activations scale with the batch, weights do not.
 */
import { MoparError, errorMessage, log } from '../core/index.js';
import { randomInputs, openSession, type InputShapes, type Graph } from '../graph/index.js';
import type { BatchLatencyFit, BatchPoint, BatchProfile } from './batch-types.js';
import { endToEndMs } from './latency.js';
import { ACTIVATION_FACTOR } from './rss-model.js';

export const DEFAULT_BATCH_SIZES = [1, 2, 4, 8];
export const BATCH_THREADS = [1, 2];
/** Batch sizes whose activations would pass this are not measured (keeps profiling in memory on small hosts). */
export const BATCH_MEMORY_BOUND_MB = 2048;

export interface BatchProfileOptions {
  sizes?: readonly number[];
  threads?: readonly number[];
  runs: number;
  /** The model's peak activations at batch 1, MB (profile.memory.peakActivationMB). */
  peakActivationMB: number;
  onStep?: (what: string) => void;
}

/** Least squares ms = fixed + perItem · b over the points of one thread count. */
export function fitBatchLatency(points: readonly BatchPoint[], threads: number): BatchLatencyFit {
  const ps = points.filter((p) => p.threads === threads);
  const n = ps.length;
  if (n === 0) throw new Error(`no batch points at ${threads} threads`);
  if (n === 1) return { threads, fixedMs: 0, perItemMs: ps[0]!.ms / ps[0]!.batch };
  const mx = ps.reduce((s, p) => s + p.batch, 0) / n;
  const my = ps.reduce((s, p) => s + p.ms, 0) / n;
  const sxx = ps.reduce((s, p) => s + (p.batch - mx) ** 2, 0);
  const sxy = ps.reduce((s, p) => s + (p.batch - mx) * (p.ms - my), 0);
  const perItemMs = sxx > 0 ? sxy / sxx : my / mx;
  return { threads, fixedMs: my - perItemMs * mx, perItemMs };
}

const withBatch = (shapes: InputShapes, b: number): InputShapes =>
  Object.fromEntries(Object.entries(shapes).map(([k, d]) => [k, d.length > 0 ? [b, ...d.slice(1)] : d]));

export async function measureBatchProfile(modelPath: string, graph: Graph, inputShapes: InputShapes, opts: BatchProfileOptions): Promise<BatchProfile> {
  const asked = [...new Set(opts.sizes ?? DEFAULT_BATCH_SIZES)].sort((a, b) => a - b);
  if (asked.length === 0 || asked.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new MoparError(`batch sizes must be integers ≥ 1, got ${asked.join(',')}`);
  }
  const perItemMB = ACTIVATION_FACTOR * opts.peakActivationMB;
  const sizes = asked.filter((b) => b === 1 || b * perItemMB <= BATCH_MEMORY_BOUND_MB);
  if (sizes.length < asked.length) {
    log(`note: batch sizes ${asked.filter((b) => !sizes.includes(b)).join(',')} skipped: over ${BATCH_MEMORY_BOUND_MB} MB of activations`);
  }
  if (!sizes.includes(1)) sizes.unshift(1);
  const points: BatchPoint[] = [];
  const threadsList = opts.threads ?? BATCH_THREADS;
  const runs = Math.max(2, opts.runs);
  for (const threads of threadsList) {
    const session = await openSession(modelPath, { threads });
    try {
      for (const b of sizes) {
        opts.onStep?.(`batch ${b}, ${threads} thread(s)`);
        const feeds = randomInputs(graph, withBatch(inputShapes, b), 1);
        let p50: number;
        try {
          ({ p50 } = await endToEndMs(session, feeds, { runs, warmup: 1 }));
        } catch (err) {
          if (b === 1) throw err;
          throw new MoparError(`the model does not run at batch ${b} (${errorMessage(err).split('\n')[0]}); `
            + 'a batch profile needs a dynamic leading batch dim (e.g. mopar zoo build NAME --batch dynamic)');
        }
        points.push({ batch: b, threads, ms: p50 });
      }
    } finally {
      await session.release();
    }
  }
  return {
    sizes, points, fits: threadsList.map((t) => fitBatchLatency(points, t)),
    memory: { perItemMB, measured: false }, maxBatch: sizes[sizes.length - 1]!,
  };
}

/** The batch points as text: ms per batch and per item at each thread count, and the fit. */
export function renderBatchProfile(b: BatchProfile): string {
  const lines = ['batch  threads  ms/batch  ms/item'];
  for (const p of b.points) {
    lines.push(`${String(p.batch).padStart(5)}  ${String(p.threads).padStart(7)}  ${p.ms.toFixed(3).padStart(8)}  ${(p.ms / p.batch).toFixed(3).padStart(7)}`);
  }
  for (const f of b.fits) lines.push(`fit at ${f.threads} thread(s): latency(b) = ${f.fixedMs.toFixed(3)} + ${f.perItemMs.toFixed(3)} · b ms`);
  return lines.join('\n');
}
