/**
 * Cold requests composed along the DAG (issue 29): on this machine every weight fetch shares one loopback path
 * and two cores, so a split's functions cold-starting side by side slow each other down, while on a platform each
 * has its own network and CPU. So each function is cold-started alone (nothing else fetching or loading) and its
 * ready time measured; each function's warm call is measured one function at a time; and the cold request is
 * composed with core's dataflowSchedule under the proactive warm-up rule: every instance starts when the request
 * enters, and a function runs once its input exists and its instance is up (`readyAtMs` = its cold start).
 */
import { median, type DataflowFunction, type DataflowGraph } from '../core/index.js';
import type { Gateway } from '../runtime/index.js';
import { composeCalls, type Calls } from './compose.js';

/** One function's cold start measured alone: ready time and its phases (ms), and the MB it fetched. */
export interface ColdPhases { fn: string; totalMs: number; spawnMs: number; fetchMs: number; loadMs: number; fetchedMB: number }

/**
 * One request composed cold: its time outside the calls (total − the one-at-a-time calls), once, plus the
 * dataflow schedule with each function's duration its warm call and its earliest start its cold start.
 */
export function composeColdRequest<F extends DataflowFunction>(graph: DataflowGraph<F>, totalMs: number, calls: Calls, coldMs: Readonly<Record<string, number>>): { ms: number; outsideMs: number; path: string[] } {
  const readyAt = (f: F) => {
    const ms = coldMs[f.name];
    // A function without a measured cold start would silently compose as warm.
    if (ms === undefined || !Number.isFinite(ms)) throw new Error(`no cold start measured for function '${f.name}'`);
    return ms;
  };
  return composeCalls(graph, totalMs, calls, readyAt);
}

export interface ColdComposition {
  measuredAs: 'composed';
  /** Median over the warm requests of their cold compositions, ms. */
  coldMs: number;
  /** Median time outside the calls, ms (included in coldMs). */
  outsideMs: number;
  /** The critical path of the median request. */
  path: string[];
  /** Each function's cold-start total used as its earliest start, ms. */
  readyAtMs: Record<string, number>;
}

/** Composes each warm request (`lat[i]` as the client saw it, `calls[i]` its one-at-a-time calls) cold; the median. */
export function composeCold<F extends DataflowFunction>(graph: DataflowGraph<F>, lat: readonly number[], calls: readonly Calls[], alone: readonly ColdPhases[]): ColdComposition {
  if (lat.length === 0) throw new Error('no warm requests to compose');
  const readyAtMs = Object.fromEntries(alone.map((p) => [p.fn, p.totalMs]));
  const per = lat.map((ms, i) => composeColdRequest(graph, ms, calls[i] ?? [], readyAtMs)).sort((a, b) => a.ms - b.ms);
  const mid = per[Math.floor((per.length - 1) / 2)]!;
  return { measuredAs: 'composed', coldMs: median(per.map((p) => p.ms)), outsideMs: median(per.map((p) => p.outsideMs)), path: mid.path, readyAtMs };
}

/** Waits until the keep-warm has stopped every instance of served model `name` (the next start is cold). */
export async function untilNoInstances(gw: Gateway, name: string, limitMs: number): Promise<void> {
  const model = gw.models.get(name)!;
  const t0 = performance.now();
  while ([...model.pools.values()].some((p) => p.instances.length > 0)) {
    if (performance.now() - t0 > limitMs) throw new Error(`${name}: instances still up after ${limitMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Cold-starts each function of served model `name` alone, one after the other, `rounds` times (every instance
 * gone before each round; ones already up sit idle, neither fetching nor loading), through the gateway's own
 * weight store: the median of each phase per function.
 */
export async function coldStartsAlone(gw: Gateway, name: string, opts: { rounds: number; idleLimitMs: number }): Promise<ColdPhases[]> {
  const model = gw.models.get(name)!;
  const seen = new Map<string, ColdPhases[]>();
  for (let r = 0; r < opts.rounds; r++) {
    await untilNoInstances(gw, name, opts.idleLimitMs);
    for (const f of model.manifest.functions) {
      const pool = model.pools.get(f.name)!;
      pool.prewarm('serve');
      const inst = pool.instances[pool.instances.length - 1];
      if (!inst || !(await inst.started())) throw new Error(`function '${f.name}' did not start: ${inst?.exitReason ?? 'no instance'}`);
      const got = seen.get(f.name) ?? [];
      got.push({ fn: f.name, totalMs: inst.coldStartMs, spawnMs: inst.spawnMs, fetchMs: inst.fetchMs, loadMs: inst.loadMs, fetchedMB: inst.fetchBytes / 2 ** 20 });
      seen.set(f.name, got);
    }
  }
  return [...seen.entries()].map(([fn, ps]) => {
    const m = (k: 'totalMs' | 'spawnMs' | 'fetchMs' | 'loadMs' | 'fetchedMB') => median(ps.map((p) => p[k]));
    return { fn, totalMs: m('totalMs'), spawnMs: m('spawnMs'), fetchMs: m('fetchMs'), loadMs: m('loadMs'), fetchedMB: +m('fetchedMB').toFixed(1) };
  });
}
