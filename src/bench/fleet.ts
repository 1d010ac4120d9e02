/**
 * `mopar bench --fleet` (issue 30): N variants of one zoo model that differ only in their last stage and classifier
 * (zoo/variants.ts, seeded), each with its own sparse Poisson traffic, served two ways on the same arrivals:
 * separate deployments (each variant partitioned alone, as `mopar partition` plans it) and the fleet (`partition A B
 * …`: one shared prefix function, each variant's own head). Both run on the embedded runtime with the same
 * keep-alive, cold (nothing pre-warmed), and are billed alike: every call at its measured duration
 * (measuredInvocationUSD, per call) plus every instance start as the platform bills init (billStarts). Memory held
 * is the planned memory of every live instance, sampled over the window (MB·s): what a platform keeps reserved.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { log, quantile, watchLoad, type MachineLoad } from '../core/index.js';
import { allclose, openSession, runSession, saveModel, type Feeds } from '../graph/index.js';
import { getPlatform } from '../plan/index.js';
import { loadFleet, partitionFleet, partitionModel, type FleetLayout, type Manifest } from '../partition/index.js';
import { DEFAULT_GATEWAY, DEFAULT_POOL, Gateway, infer, modelMetadata, randomFeeds, type FunctionPool } from '../runtime/index.js';
import { buildZooModel, modelVariant, VARIANT_HEADS, type VariantHead } from '../zoo/index.js';
import { runLoad, workloadSchedule, type ScheduledRequest } from './loadgen.js';
import { billCalls, billStarts, tapCallDurations } from './workload.js';
import { machineInfo } from './run.js';
import type { BenchReport } from './types.js';

export interface FleetBenchOptions {
  out: string;
  /** Zoo model (default resnet50); `tiny` for the reduced one (--quick). */
  model: string;
  tiny: boolean;
  variants: number;
  /** What differs between variants (default: the last stage and the classifier). */
  head?: VariantHead;
  /** How the fleet side is laid out (default `switch`: one function; where it does not fit, `prefix`). */
  layout?: FleetLayout;
  platform: string;
  /** Requests per second of each variant (Poisson, seeded per variant). */
  ratePerSec: number;
  durationMs: number;
  maxRequests: number;
  sloMs: number;
  /** How long an idle instance stays loaded (the pools' keepWarmMs). */
  keepWarmMs: number;
  /** The pools' scale-out policy on both sides (default `eager`, the runtime's). */
  scaleOut?: 'eager' | 'patient';
  seed: number;
  /** Profiling runs per model (1 for --quick). */
  quick: boolean;
}

export const FLEET_DEFAULTS = { model: 'resnet50', variants: 4, platform: 'gcp-cloud-run', ratePerSec: 0.05, durationS: 600, sloMs: 2000, keepAliveS: 15, seed: 1 };
export const FLEET_QUICK = { variants: 3, ratePerSec: 1, durationS: 4, sloMs: 10_000, keepAliveS: 1 };

export interface FleetSide {
  side: 'separate' | 'fleet';
  /** Distinct functions served, and the bytes of their distinct files. */
  functions: number; filesBytes: number;
  requests: number; answered: number; sloAttainment: number; p50Ms: number; p99Ms: number;
  costUSD: number; costPerRequestUSD: number; callsUSD: number; startsUSD: number;
  /** Instances started during the window (each a cold start), in all and of the shared functions. */
  coldStarts: number; sharedColdStarts: number;
  /** Calls that waited for their instance's start. */
  coldCalls: number;
  /** Planned memory of one instance of every distinct function of the side (MB). */
  plannedMB?: number;
  /** Σ over time of live instances' planned memory (sampled every 100 ms), MB·s; and its mean over the window, MB. */
  memoryMBs: number; meanMemoryMB: number;
  load: MachineLoad; seconds: number;
}

export interface FleetBenchReport {
  kind: 'mopar.bench.fleet'; startedAt: string; machine: BenchReport['machine'];
  options: Omit<FleetBenchOptions, 'out'>;
  /** Of one variant's weights, the share in the shared prefix (bytes). */
  sharedFraction: number;
  /** One variant's weights (bytes). */
  variantWeightsBytes?: number;
  /** How the fleet side was laid out (`switch` asked but not fitting one function falls back to `prefix`). */
  layout: FleetLayout;
  cut: { sharedNodes: number; divergence: string | null };
  separate: FleetSide; fleet: FleetSide;
  /** separate ÷ fleet (cost per request, cold starts, memory held). */
  ratios: { cost: number; coldStarts: number; memory: number };
  /** Per variant: both sides answered the same input as the variant's unsplit model (allclose). */
  answers: Array<{ variant: string; separateOk: boolean; fleetOk: boolean; maxRelErr: number }>;
}

export async function runFleetBench(o: FleetBenchOptions): Promise<FleetBenchReport> {
  const startedAt = new Date().toISOString();
  rmSync(join(o.out, 'work'), { recursive: true, force: true });
  const work = join(o.out, 'work');
  mkdirSync(work, { recursive: true });
  const base = buildZooModel(o.model, { tiny: o.tiny });
  const names = Array.from({ length: o.variants }, (_, v) => `v${v}`);
  const paths = names.map((n, v) => {
    const p = join(work, `${n}.onnx`);
    saveModel(modelVariant(base, v, VARIANT_HEADS[o.head ?? 'last-stage']), p);
    return p;
  });
  const profiling = o.quick ? { runs: 1, cpuScaling: false, measureRss: false } : {};
  const plan = { platform: o.platform };
  log(`mopar bench --fleet: ${o.variants} variants of ${o.model}${o.tiny ? ' (tiny)' : ''}: partitioning each alone, then together`);
  const separate: Manifest[] = [];
  for (const [v, p] of paths.entries()) separate.push((await partitionModel(p, { outDir: join(work, 'separate', names[v]!), profiling, plan })).manifest!);
  const fleetDir = join(work, 'fleet');
  const built = await partitionFleet(paths, fleetDir, { profiling, plan, layout: o.layout ?? 'switch' });

  const apps = names.map((name) => ({ name, sloMs: o.sloMs, ratePerSec: o.ratePerSec }));
  const schedule = workloadSchedule(apps, { durationMs: o.durationMs, maxRequests: o.maxRequests }, o.seed);
  log(`mopar bench --fleet: ${schedule.length} requests over ${(o.durationMs / 1000).toFixed(0)} s, the same on both sides`);
  const separateSide = await serveSide(o, 'separate', names.map((n) => ({ name: n, path: join(work, 'separate', n) })), schedule);
  const fleetSide = await serveSide(o, 'fleet', loadFleet(fleetDir).models, schedule);

  // Every variant's answer to one input, on both sides, against its own unsplit model.
  const answers = [];
  for (const [v, p] of paths.entries()) {
    const s = await openSession(p);
    const want = await runSession(s, separateSide.probe.feeds).finally(() => s.release());
    const close = (got: Feeds) => Object.entries(want).map(([k, t]) => allclose(got[k], t));
    const a = close(separateSide.probe.outputs[v]!);
    const b = close(fleetSide.probe.outputs[v]!);
    answers.push({ variant: names[v]!, separateOk: a.every((c) => c.ok), fleetOk: b.every((c) => c.ok), maxRelErr: Math.max(...[...a, ...b].map((c) => c.maxRelErr)) });
  }
  const ownBytes = separate[0]!.functions.reduce((s, f) => s + f.weightsBytes, 0);
  // The variants and both sides' function files (a GB for ResNet-50 × 8) are not results: OUT keeps the reports.
  rmSync(work, { recursive: true, force: true });
  const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Infinity : 1);
  return {
    kind: 'mopar.bench.fleet', startedAt, machine: machineInfo(),
    options: { model: o.model, tiny: o.tiny, variants: o.variants, head: o.head ?? 'last-stage', layout: o.layout ?? 'switch', platform: o.platform, ratePerSec: o.ratePerSec, durationMs: o.durationMs, maxRequests: o.maxRequests, sloMs: o.sloMs, keepWarmMs: o.keepWarmMs, scaleOut: o.scaleOut ?? 'eager', seed: o.seed, quick: o.quick },
    sharedFraction: ownBytes ? built.sharedWeightsBytes / ownBytes : 0,
    variantWeightsBytes: ownBytes,
    layout: built.fleet.layout ?? 'prefix',
    cut: { sharedNodes: built.fleet.cut.sharedNodes, divergence: built.fleet.cut.models[0]?.divergence ?? null },
    separate: separateSide.side, fleet: fleetSide.side,
    ratios: {
      cost: ratio(separateSide.side.costPerRequestUSD, fleetSide.side.costPerRequestUSD),
      coldStarts: ratio(separateSide.side.coldStarts, fleetSide.side.coldStarts),
      memory: ratio(separateSide.side.memoryMBs, fleetSide.side.memoryMBs),
    },
    answers,
  };
}

/** Serves `models` (name → manifest path or folder) on one gateway, sends the schedule, bills and measures what ran. */
async function serveSide(o: FleetBenchOptions, side: FleetSide['side'], models: Array<{ name: string; path: string }>, schedule: ScheduledRequest[]):
  Promise<{ side: FleetSide; probe: { feeds: Feeds; outputs: Feeds[] } }> {
  const t0 = performance.now();
  const platform = getPlatform(o.platform);
  // Cold from the first request on, both sides alike: nothing pre-warmed, idle instances kept `keepWarmMs`.
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, warmUp: true, pool: { ...DEFAULT_POOL, keepWarmMs: o.keepWarmMs, scaleOut: o.scaleOut ?? 'eager' } });
  try {
    for (const m of models) gw.addModel(m.path, m.name);
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const meta = await modelMetadata(url, models[0]!.name);
    const feeds = Array.from({ length: 8 }, (_, i) => randomFeeds(meta, i + 1));
    // Distinct pools (a shared function's is one) with their planned memory.
    const pools = new Map<FunctionPool, number>();
    const files = new Map<string, number>();
    for (const m of gw.models.values()) {
      for (const f of m.manifest.functions) {
        pools.set(m.pools.get(f.name)!, f.memoryMB);
        files.set(join(m.dir, f.file), statSync(join(m.dir, f.file)).size + (f.data?.bytes ?? 0));
      }
    }
    const { callMs, untap } = tapCallDurations(gw);
    let memoryMBs = 0;
    const sample = setInterval(() => {
      for (const [p, mb] of pools) memoryMBs += p.instances.filter((i) => !i.dead).length * mb * 0.1;
    }, 100);
    const watch = watchLoad();
    const w0 = performance.now();
    const outcomes = await runLoad(schedule, async (req, i) => { await infer(url, req.app, feeds[i % feeds.length]!); return {}; });
    const windowS = (performance.now() - w0) / 1000;
    clearInterval(sample);
    const load = watch.stop();
    untap();

    let callsUSD = 0;
    let startsUSD = 0;
    let coldStarts = 0;
    let sharedColdStarts = 0;
    let coldCalls = 0;
    for (const m of models) {
      for (const f of gw.stats(m.name).functions) {
        callsUSD += billCalls(platform, f, callMs.get(`${m.name}/${f.name}`) ?? []);
        // A shared pool's starts are in its first model's stats only: billed and counted once.
        startsUSD += billStarts(platform, f, f.coldStartMs);
        coldStarts += f.coldStartMs.length;
        if ('sharedBy' in f) sharedColdStarts += f.coldStartMs.length;
        coldCalls += f.coldCalls;
      }
    }
    const ok = outcomes.filter((x) => x.ok);
    const lat = ok.map((x) => x.latencyMs);
    const costUSD = callsUSD + startsUSD;
    // The probe for the answers check, after the window (not billed).
    const outputs = [];
    for (const m of models) outputs.push((await infer(url, m.name, feeds[0]!)).outputs);
    const failed = outcomes.find((x) => !x.ok);
    if (failed) log(`mopar bench --fleet: ${side}: ${outcomes.length - ok.length} of ${outcomes.length} requests failed (first: ${failed.error})`);
    return {
      side: {
        side, functions: pools.size, plannedMB: [...pools.values()].reduce((a, b) => a + b, 0), filesBytes: [...files.values()].reduce((a, b) => a + b, 0),
        requests: outcomes.length, answered: ok.length,
        sloAttainment: outcomes.length ? ok.filter((x) => x.latencyMs <= o.sloMs).length / outcomes.length : NaN,
        p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99),
        costUSD, costPerRequestUSD: ok.length ? costUSD / ok.length : NaN, callsUSD, startsUSD,
        coldStarts, sharedColdStarts, coldCalls, memoryMBs, meanMemoryMB: memoryMBs / windowS, load, seconds: (performance.now() - t0) / 1000,
      },
      probe: { feeds: feeds[0]!, outputs },
    };
  } finally {
    await gw.close();
  }
}
