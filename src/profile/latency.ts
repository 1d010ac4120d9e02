/**
 * Latency per node from onnxruntime's own profiler, attributed to the ORIGINAL node names.
 *
 * Two ways (chosen by `attribution`):
 * - 'unoptimised-scaled' (default): profile a session with graph optimisations off, so every kernel is one
 *   original node, take each node's median, then scale all nodes by (optimised end-to-end p50) / (sum of medians).
 * - 'optimised-mapped': profile the optimised session and map each kernel back to an original node by name, or
 *   by the tensor its name derives from (fused kernels are named after their last output, e.g. `relu0_out_nchwc`);
 *   layout kernels (ReorderInput/Output) and anything unmapped are spread over mapped nodes in proportion.
 * bench/profile-attribution.ts measures which is closer to sub-model timings (see the report).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, MoparError } from '../core/index.js';
import { openSession, runSession, type Graph, type Feeds, type ort } from '../graph/index.js';
import { spreadOf, stopReason, type StopRule } from './stability.js';

export type Attribution = 'unoptimised-scaled' | 'optimised-mapped';

export interface TraceEvent {
  name: string;
  cat: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; provider?: string };
}

/** One run's kernel times (µs) keyed by kernel name (`<node>_kernel_time` without the suffix). */
export type RunKernels = Map<string, { op: string; us: number }>;

/** Splits onnxruntime's trace into runs (model_run events) and sums kernel time per kernel within each run. */
export function parseOrtTrace(events: readonly TraceEvent[]): RunKernels[] {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const out: RunKernels[] = runs.map(() => new Map());
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const i = runs.findIndex((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
    if (i < 0) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const prev = out[i]!.get(name);
    out[i]!.set(name, { op: e.args?.op_name ?? '?', us: (prev?.us ?? 0) + e.dur });
  }
  return out;
}

export interface LatencyOptions {
  threads: number;
  runs: number;
  warmup: number;
}

/**
 * Runs a session `warmup + runs` times; p50 of wall time of the timed runs (ms), and p50 of this process's CPU
 * time per run (user + system, all threads) — on a machine shared with other work the CPU time is what one
 * uncontended core would take, the wall time includes waiting for a core.
 */
export async function endToEndMs(session: ort.InferenceSession, feeds: Feeds, opts: Omit<LatencyOptions, 'threads'> & { stop?: StopRule }): Promise<EndToEnd> {
  for (let i = 0; i < opts.warmup; i++) await runSession(session, feeds);
  const samples: number[] = [];
  const cpu: number[] = [];
  // Without a stop rule: exactly `runs`; with one, until the spread settles or its limit (profile/stability.ts).
  let reason: ReturnType<typeof stopReason>;
  for (let i = 0; opts.stop ? !(reason = stopReason(samples, opts.stop)) : i < opts.runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await runSession(session, feeds);
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { p50: median(samples), samples, cpuP50: median(cpu), spread: spreadOf(samples), converged: opts.stop ? reason === 'converged' : undefined, minMs: Math.min(...samples), minCpuMs: Math.min(...cpu) };
}

export interface EndToEnd {
  p50: number;
  samples: number[];
  cpuP50: number;
  /** (p90 − p10) / p50 of the samples. */
  spread: number;
  /** With a stop rule: whether the spread came within its bound (else the limit stopped it). */
  converged?: boolean;
  minMs: number;
  minCpuMs: number;
}

/** Profiles `model` with onnxruntime's profiler; returns per-kernel runs after the warm-up ones. */
export async function profileKernels(model: Uint8Array | string, feeds: Feeds, optimization: 'disabled' | 'all', opts: LatencyOptions): Promise<RunKernels[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-prof-'));
  try {
    const session = await openSession(model, { threads: opts.threads, optimization, profilePrefix: join(dir, 'p') });
    try {
      for (let i = 0; i < opts.warmup + opts.runs; i++) await runSession(session, feeds);
      (session as unknown as { endProfiling(): void }).endProfiling();
    } finally {
      await session.release();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new MoparError('onnxruntime wrote no profile trace');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as TraceEvent[];
    return parseOrtTrace(events).slice(opts.warmup);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NodeTimes {
  /** ms per original node name (nodes that ran no kernel, like Constant, are absent). */
  ms: Map<string, number>;
  /** Sum of per-node medians before scaling (ms). */
  rawSumMs: number;
  /** Factor applied to reach the optimised end-to-end time. */
  scale: number;
  /** Kernel time that matched no original node before being spread (ms, optimised-mapped only). */
  unmappedMs: number;
}

/** Per-node medians (ms) of kernels that map to original nodes; scaled so they sum to `targetMs`. */
export function attribute(g: Graph, runs: readonly RunKernels[], mode: Attribution, targetMs: number): NodeTimes {
  const perNode = new Map<string, number[]>();
  let unmappedUs = 0;
  for (const run of runs) {
    const sums = new Map<string, number>();
    for (const [kernel, { op, us }] of run) {
      const node = mapKernel(g, kernel, op, mode);
      if (!node) { unmappedUs += us / runs.length; continue; }
      sums.set(node, (sums.get(node) ?? 0) + us);
    }
    for (const [n, us] of sums) {
      let xs = perNode.get(n);
      if (!xs) perNode.set(n, (xs = []));
      xs.push(us / 1000);
    }
  }
  const ms = new Map<string, number>();
  let raw = 0;
  for (const [n, xs] of perNode) {
    // A node that ran in only some runs (should not happen) still counts its median over all runs.
    while (xs.length < runs.length) xs.push(0);
    const m = median(xs);
    ms.set(n, m);
    raw += m;
  }
  const scale = raw > 0 ? targetMs / raw : 1;
  for (const [n, m] of ms) ms.set(n, m * scale);
  return { ms, rawSumMs: raw, scale, unmappedMs: unmappedUs / 1000 };
}

// Suffixes onnxruntime's optimisers append to fused/rewritten nodes' names.
const SUFFIXES = [/_nchwc$/, /_token_\d+$/, /_fused$/, /_Transpose$/, /\/fused_.*$/];

function mapKernel(g: Graph, kernel: string, op: string, mode: Attribution): string | undefined {
  if (g.nodeByName.has(kernel)) return kernel;
  if (mode === 'unoptimised-scaled') return undefined;
  let base = kernel;
  for (const s of SUFFIXES) base = base.replace(s, '');
  if (g.nodeByName.has(base)) return base;
  const producer = g.tensors.get(base)?.producer;
  if (!producer || !g.nodeByName.has(producer)) return undefined;
  // A fused kernel (Conv+Relu, MatMul+Add) is named after the chain's last output but runs the first op's
  // kernel: walk back along first inputs to the node of the kernel's op type, if it is near.
  let n = g.nodeByName.get(producer)!;
  for (let step = 0; step < 4 && n.op !== op; step++) {
    const up = g.tensors.get(n.inputs[0] ?? '')?.producer;
    const prev = up ? g.nodeByName.get(up) : undefined;
    if (!prev) break;
    n = prev;
  }
  return n.op === op ? n.name : producer;
}
