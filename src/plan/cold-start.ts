/**
 * Cold-request latency of a plan: the first request after idle, when no function has an instance. Written out
 * in docs/cold-starts.md. Each function's cold start is
 *
 *   cold_f = sandbox + runtime init + (first byte + weights_f / fetch rate_f) + weights_f / load rate
 *   fetch rate_f = min(per-stream bandwidth, vcpu_f × FETCH_MBPS_PER_VCPU)
 *
 * (platform.coldStart, platform.objectStore; the session load rate is SESSION_LOAD_MBPS). Slices fetch and load
 * in parallel, each on its own instance. With proactive warm-up (every function of the DAG starts when the
 * request enters, runtime/model.ts), group g of the chain starts when both its input has arrived and its
 * instances are up:
 *
 *   arrive_1 = handIn_1,  arrive_g = finish_{g−1} + handIn_g
 *   finish_g = max over f in g of ( max(cold_f, arrive_g) + ms_f + invoke )
 *
 * and the cold latency is finish_G (the warm latency is the same recurrence with cold_f = 0). Without warm-up
 * (each function starts when its input arrives) the max becomes a sum: arrive_g + cold_f.
 */
import type { Platform } from './platforms.js';
import type { PlanFunction } from './types.js';

/**
 * Session creation rate of onnxruntime on a function's weights, MB/s: an estimate for memory-mapped external
 * data (the runtime's memory-lean load) — measured here 2026-12-01 on the VGG-16 slices of bench/cold-start.ts
 * at ~0.5–1 GB/s on an idle core; the bench reports the measured load phase next to this model.
 */
export const SESSION_LOAD_MBPS = 500;

/**
 * Weights a fetch moves per second per vCPU: the fetch (HTTP client, stream, file write) is CPU work, so under a
 * fractional quota it, not the network, sets the rate. Measured 2026-12-07 on this project's 2-core AMD EPYC VM
 * (bench/cold-start.ts, each function started alone, store shaped to 90 MB/s): 0.25 vCPU 80 MB in 2.5 s (31 MB/s),
 * 0.334 vCPU 196 MB in 3.0–3.2 s (62–66 MB/s), 0.375 vCPU 147 MB in 2.8 s (53 MB/s): 124–197 MB/s per vCPU, so
 * 150; at 1 vCPU the 90 MB/s stream was the limit (78–87 MB/s with the first byte). Without it the planner put
 * VGG-16's fc6 parts at 0.33 vCPU and predicted them up in 2.6 s; alone they took 3.3–3.5 s.
 */
export const FETCH_MBPS_PER_VCPU = 150;

export interface ColdFunction {
  name: string;
  group: string;
  /** Compute (ms) and hand-off into it (ms), as the warm plan predicts them. */
  ms: number;
  handInMs: number;
  /** Weights this function loads, MB. */
  weightsMB: number;
  /** Its vCPU (the fetch's rate under a quota); default 1. */
  vcpu?: number;
}

/** One function's cold start on `platform` (ms) and its parts. */
export function coldStartMs(platform: Platform, weightsMB: number, vcpu = 1): { ms: number; sandboxMs: number; initMs: number; fetchMs: number; loadMs: number } {
  const { sandboxMs, runtimeInitMs } = platform.coldStart;
  const fetchMBps = Math.min(platform.objectStore.bandwidthMBps, vcpu * FETCH_MBPS_PER_VCPU);
  const fetchMs = platform.objectStore.latencyMs + (weightsMB / fetchMBps) * 1000;
  const loadMs = (weightsMB / SESSION_LOAD_MBPS) * 1000;
  return { ms: sandboxMs + runtimeInitMs + fetchMs + loadMs, sandboxMs, initMs: runtimeInitMs, fetchMs, loadMs };
}

export interface ColdLatency {
  /** First request after idle, every function started when the request enters (proactive warm-up), ms. */
  proactiveMs: number;
  /** Same, each function started only when its input arrives, ms. */
  reactiveMs: number;
  /** The warm recurrence's result on the same terms (for the difference), ms. */
  warmMs: number;
  /** Per function: its cold start, ms. */
  perFunction: Record<string, number>;
}

/** The recurrence above over `fns` (in plan order; a group's functions are consecutive). */
export function coldLatency(platform: Platform, fns: readonly ColdFunction[]): ColdLatency {
  const groups: ColdFunction[][] = [];
  for (const f of fns) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.group === f.group) last.push(f); else groups.push([f]);
  }
  const invoke = platform.hop.invokeMs;
  const perFunction: Record<string, number> = {};
  for (const f of fns) perFunction[f.name] = coldStartMs(platform, f.weightsMB, f.vcpu).ms;
  const run = (ready: (f: ColdFunction, arrive: number) => number) => {
    let finish = 0;
    for (const g of groups) {
      // Parts of a group receive their inputs together; the slowest hand-in is the group's.
      const arrive = finish + Math.max(...g.map((f) => f.handInMs));
      finish = Math.max(...g.map((f) => ready(f, arrive) + f.ms + invoke));
    }
    return finish;
  };
  return {
    proactiveMs: run((f, arrive) => Math.max(perFunction[f.name]!, arrive)),
    reactiveMs: run((f, arrive) => arrive + perFunction[f.name]!),
    warmMs: run((_f, arrive) => arrive),
    perFunction,
  };
}

/** The weights a plan function loads: its layers' parameters, divided among parts that split them. */
export function functionWeightsMB(f: PlanFunction): number {
  const mb = f.similarity?.paramMB ?? 0;
  const divided = f.split && (f.split.kind === 'channel' || f.split.kind === 'heads');
  return divided ? mb / f.split!.parts : mb;
}

/** A plan's functions as the cold model reads them. */
export function coldFunctions(fns: readonly PlanFunction[]): ColdFunction[] {
  return fns.map((f) => ({ name: f.name, group: f.group, ms: f.predicted.ms, handInMs: f.predicted.handInMs ?? 0, weightsMB: functionWeightsMB(f), vcpu: f.vcpu }));
}
