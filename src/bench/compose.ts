/**
 * Requests composed along the DAG (issue 27): a plan whose parallel functions need more cores than this machine
 * has cannot be served as a platform runs it (one machine per function), as its sub-slices would wait for each
 * other's cores. Such plans are served one function at a time, each under its own CPU quota, and every request's
 * latency is composed from its own calls: what the request spent outside the functions, once, plus the longest
 * path through the measured calls (core's dataflowSchedule, the scheduler's own start rule).
 */
import { availableParallelism } from 'node:os';
import { dataflowSchedule, quantile, type DataflowFunction, type DataflowGraph } from '../core/index.js';
import type { Gateway, InferResult } from '../runtime/index.js';

export type Calls = InferResult['calls'];

/** How a deployment's latency is measured: served as is, or composed from a one-function-at-a-time pass. */
export type MeasuredAs = 'served' | 'composed';

/** The widest set of functions that can run at once (equal dataflow depth) and their summed vCPU. */
export function parallelWidth<F extends DataflowFunction & { vcpu?: number }>(graph: DataflowGraph<F>): { functions: number; vcpu: number } {
  const depth = dataflowSchedule(graph, () => 1).start;
  const levels = new Map<number, { functions: number; vcpu: number }>();
  for (const f of graph.functions) {
    const l = levels.get(depth[f.name]!) ?? { functions: 0, vcpu: 0 };
    l.functions++;
    l.vcpu += f.vcpu || 1;
    levels.set(depth[f.name]!, l);
  }
  let widest = { functions: 0, vcpu: 0 };
  for (const l of levels.values()) if (l.vcpu > widest.vcpu || (l.vcpu === widest.vcpu && l.functions > widest.functions)) widest = l;
  return widest;
}

/** The cores the measurement may count on (os.availableParallelism: the CPU affinity, not the host's count). */
export function machineCores(): number {
  return availableParallelism();
}

/**
 * What to measure for one deployment: `served` alone (no parallel functions), or a one-at-a-time pass composed
 * (`composed`), and also served (`validate`) where its widest parallel level's vCPU fit in `cores`: the real
 * concurrent run then checks the composition.
 */
export function measurePlan<F extends DataflowFunction & { vcpu?: number }>(graph: DataflowGraph<F>, cores = machineCores()): 'served' | 'composed' | 'validate' {
  const w = parallelWidth(graph);
  if (w.functions <= 1) return 'served';
  return w.vcpu <= cores + 1e-9 ? 'validate' : 'composed';
}

/**
 * One request's latency as a platform with a machine per function would give it: `totalMs` (as the client saw it,
 * its calls run one at a time) less the calls' own time is the request's overhead outside the functions (HTTP,
 * gateway, scheduling), paid once; to it the longest path through the calls, each its whole measured call
 * (hand-offs in and out, IPC, the host's work).
 */
export function composeRequest<F extends DataflowFunction>(graph: DataflowGraph<F>, totalMs: number, calls: Calls): number {
  return composeCalls(graph, totalMs, calls).ms;
}

/** composeRequest's parts; `readyAtMs`: a function's earliest start (its instance up: a cold request). */
export function composeCalls<F extends DataflowFunction>(graph: DataflowGraph<F>, totalMs: number, calls: Calls, readyAtMs?: (f: F) => number): { ms: number; outsideMs: number; path: string[] } {
  const own = new Map<string, number>();
  for (const c of calls) own.set(c.fn, (own.get(c.fn) ?? 0) + c.ms);
  let inCalls = 0;
  for (const ms of own.values()) inCalls += ms;
  const outsideMs = Math.max(0, totalMs - inCalls);
  const s = dataflowSchedule(graph, (f) => own.get(f.name) ?? 0, readyAtMs ? { readyAtMs } : undefined);
  return { ms: outsideMs + s.ms, outsideMs, path: s.path };
}

export interface Composition {
  p50Ms: number; p95Ms: number; p99Ms: number;
  /** Served concurrently as well (the cores sufficed): served p50, composed p50 and served ÷ composed. */
  validation?: { servedP50Ms: number; composedP50Ms: number; ratio: number };
}

/** Percentiles of the per-request compositions; `servedLat` (a concurrent pass of the same plan) validates them. */
export function composition<F extends DataflowFunction>(graph: DataflowGraph<F>, lat: readonly number[], calls: readonly Calls[], servedLat?: readonly number[]): Composition & { lat: number[] } {
  const composed = lat.map((ms, i) => composeRequest(graph, ms, calls[i] ?? []));
  const p50Ms = quantile(composed, 0.5);
  const served = servedLat && servedLat.length > 0 ? quantile(servedLat, 0.5) : undefined;
  return {
    lat: composed, p50Ms, p95Ms: quantile(composed, 0.95), p99Ms: quantile(composed, 0.99),
    ...(served !== undefined ? { validation: { servedP50Ms: served, composedP50Ms: p50Ms, ratio: served / p50Ms } } : {}),
  };
}

/**
 * Records the calls of every request a served model answers, in order. The benches send one request at a time, so
 * the k-th answered request's calls are the k-th record; `take()` returns and clears what was recorded.
 */
export function tapCalls(gw: Gateway, name: string): { take(): Calls[] } {
  const model = gw.models.get(name)!;
  const infer = model.infer.bind(model);
  let seen: Calls[] = [];
  model.infer = async (...args: Parameters<typeof infer>) => {
    const r = await infer(...args);
    seen.push(r.calls);
    return r;
  };
  return { take: () => { const out = seen; seen = []; return out; } };
}
