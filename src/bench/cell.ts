/**
 * One bench cell: a model × platform × strategy, planned, built, verified, then served on the embedded runtime
 * with the plan's per-function limits and measured with real requests.
 */
import { dataflowSchedule, watchLoad, errorMessage, quantile } from '../core/index.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Profile } from '../profile/index.js';
import type { Graph } from '../graph/index.js';
import { getPlatform, type Platform } from '../plan/index.js';
import { partitionModel, verifyPartition, type Manifest } from '../partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../runtime/index.js';
import { functionsBetween, requestBill } from './measure.js';
import { composition, measurePlan, tapCalls, type Calls } from './compose.js';
import type { BenchRow, MeasuredFunction } from './types.js';

export interface CellInput {
  model: string;
  category: string;
  tiny: boolean;
  modelPath: string;
  profile: Profile;
  platform: string;
  strategy: string;
  workDir: string;
  warmRequests: number;
  coldRequests: number;
  verifyRuns: number;
  /** SLO shared by every strategy of this model × platform (the unsplit function's latency at 1 vCPU). */
  sloMs?: number;
  /** The model's graph, so the planner charges horizontal splits their measured recomputation. */
  graph?: Graph;
}

/**
 * Price per million requests of one invocation of every function, from measured durations, under the platform's
 * billing; with more than one function, plus the entry over the measured request latencies `requestMs`.
 */
export function measuredCost(platform: Platform, fns: MeasuredFunction[], requestMs?: readonly number[]): number {
  return requestBill(platform, fns, requestMs).usd * 1e6;
}

export async function runCell(c: CellInput): Promise<BenchRow> {
  const base = { model: c.model, category: c.category, tiny: c.tiny, platform: c.platform, strategy: c.strategy };
  const dir = join(c.workDir, `${c.model}${c.tiny ? '-tiny' : ''}__${c.platform}__${c.strategy.replace(':', '')}`);
  try {
    const platform = getPlatform(c.platform);
    const { plan, manifest: built } = await partitionModel(c.modelPath, {
      profiled: { profile: c.profile, graph: c.graph },
      plan: { platform: c.platform, strategy: c.strategy, sloMs: c.sloMs, allowSloMiss: true },
      outDir: dir,
    });
    const manifest = built!;
    const verify = await verifyPartition(c.modelPath, dir, { runs: c.verifyRuns, seed: 11 });
    const watch = watchLoad();
    const measured = await measure(dir, manifest, platform, c);
    const load = watch.stop();
    return {
      ...base,
      functions: manifest.functions.length,
      subSlices: countSubSlices(manifest),
      planMs: plan.planMs,
      sloMs: plan.sloMs,
      verify: { ok: verify.ok, maxRelErr: verify.maxRelErr, maxAbsErr: verify.maxAbsErr },
      predicted: plan.predicted,
      measured,
      load,
    };
  } catch (err) {
    return {
      ...base, functions: 0, subSlices: 0, planMs: 0, sloMs: c.sloMs ?? NaN,
      verify: { ok: false, maxRelErr: NaN, maxAbsErr: NaN },
      predicted: { latencyMs: NaN, costPerMillionUSD: NaN, efficiency: NaN },
      measured: { requests: 0, errors: 0, p50Ms: NaN, p95Ms: NaN, coldStartMs: NaN, costPerMillionUSD: NaN, efficiency: NaN, commShare: NaN, functions: [] },
      error: errorMessage(err).split('\n')[0]!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function countSubSlices(m: Manifest): number {
  const size = new Map<string, number>();
  for (const f of m.functions) size.set(f.group, (size.get(f.group) ?? 0) + 1);
  return m.functions.filter((f) => (size.get(f.group) ?? 0) > 1).length;
}

async function measure(dir: string, manifest: Manifest, platform: Platform, c: CellInput): Promise<BenchRow['measured']> {
  const cold: number[] = [];
  let errors = 0;
  // Cold requests: a fresh gateway each time, nothing pre-started, so the request pays every cold start.
  for (let i = 0; i < c.coldRequests; i++) {
    const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
    try {
      const name = gw.addModel(dir, 'cell');
      const addr = await gw.listen(0);
      const url = `http://127.0.0.1:${addr.port}`;
      const feeds = randomFeeds(await modelMetadata(url, name), 100 + i);
      const t0 = performance.now();
      const r = await infer(url, name, feeds);
      if (r.status !== 200) errors++;
      cold.push(performance.now() - t0);
    } finally {
      await gw.close();
    }
  }
  // Parallel sub-slices share this machine's few cores, so their durations include waiting for each other. A
  // platform gives every instance its own CPU: bill a second pass that runs one function at a time, and where the
  // parallel functions need more cores than there are, compose each request of it along the DAG (compose.ts).
  const how = measurePlan(manifest);
  const shared = how !== 'composed' ? await warmPass(dir, c.warmRequests, false) : undefined;
  const alone = how !== 'served' ? await warmPass(dir, c.warmRequests, true) : undefined;
  errors += (shared?.errors ?? 0) + (alone?.errors ?? 0);
  const composed = alone && composition(manifest, alone.lat, alone.calls, shared?.lat);
  const lat = shared?.lat ?? composed!.lat;
  const billed = (alone ?? shared)!.fns;
  const p50 = quantile(lat, 0.5);
  const byName = new Map((shared ?? alone)!.fns.map((f) => [f.name, f]));
  const used = billed.reduce((a, f) => a + f.peakRssMB * f.durationMs, 0);
  const alloc = billed.reduce((a, f) => a + f.memoryMB * f.durationMs, 0);
  return {
    requests: lat.length,
    errors,
    p50Ms: p50,
    p95Ms: quantile(lat, 0.95),
    coldStartMs: cold.length ? quantile(cold, 0.5) : NaN,
    costPerMillionUSD: measuredCost(platform, billed, lat),
    ...(alone ? { billedFrom: 'one-at-a-time' as const, ...(shared ? { costSharedCoresPerMillionUSD: measuredCost(platform, shared.fns, shared.lat) } : {}) } : {}),
    measuredAs: how === 'composed' ? 'composed' : 'served',
    ...(composed ? { composition: { p50Ms: composed.p50Ms, p95Ms: composed.p95Ms, p99Ms: composed.p99Ms, ...(composed.validation ? { validation: composed.validation } : {}) } } : {}),
    efficiency: alloc > 0 ? used / alloc : NaN,
    commShare: Math.max(0, 1 - dataflowSchedule(manifest, (f) => byName.get(f.name)?.durationMs ?? 0).ms / p50),
    functions: billed,
  };
}

/**
 * Warm requests against one gateway: latencies, each answered request's function calls (same order) and each
 * function's mean duration (two warm-ups not counted).
 */
export async function warmPass(dir: string, requests: number, oneAtATime: boolean): Promise<{ lat: number[]; calls: Calls[]; errors: number; fns: MeasuredFunction[] }> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true, oneAtATime });
  try {
    const name = gw.addModel(dir, 'cell');
    const tap = tapCalls(gw, name);
    const addr = await gw.listen(0);
    const url = `http://127.0.0.1:${addr.port}`;
    const feeds = randomFeeds(await modelMetadata(url, name), 1);
    // Two warm-up requests are not counted: they settle onnxruntime's first-run allocations.
    for (let i = 0; i < 2; i++) await infer(url, name, feeds);
    const before = gw.stats(name);
    const lat: number[] = [];
    const calls: Calls[] = [];
    let errors = 0;
    for (let i = 0; i < requests; i++) {
      tap.take();
      const t0 = performance.now();
      const r = await infer(url, name, feeds);
      if (r.status !== 200) { errors++; continue; }
      lat.push(performance.now() - t0);
      calls.push(tap.take().at(-1) ?? []);
    }
    return { lat, calls, errors, fns: functionsBetween(before, gw.stats(name)) };
  } finally {
    await gw.close();
  }
}
