/**
 * `mopar bench --workload`: several applications of different SLOs sharing one model, served by each batching
 * strategy on the embedded runtime and driven by the bounded load generator (loadgen.ts) with the same seeded
 * arrivals, side by side. Strategies measured:
 * - `unbatched-unsplit`: the unsplit function, one request per invocation (the baseline);
 * - `per-app` (BATCH), `one-group` (all applications, tightest SLO) and `harmony` (HarmonyBatch grouping): each
 *   group's functions as the batching planner chose them (partitioned at the group's batch size), built and served
 *   as their own model, batched by the gateway (deadline-aware, runtime/batcher.ts).
 * - `concurrency` (Cloud Run): the platform's own request concurrency, unbatched, up to `concurrency` requests
 *   per instance (default the platform's 80), scaled out at its target utilisation, on the planner's concurrent
 *   services; an instance billed its busy time once, not per request (billing.ts concurrentInstanceUSD).
 * Cost = every invocation billed at its own measured duration rounded to the platform's granule
 * (plan/billing.ts measuredInvocationUSD, per call) plus every instance start during the load billed as the
 * platform bills init (initUSD, at its measured cold start), plus each group's warm minimum (held by the runtime,
 * groups[].minInstances) charged over the measured window as the planner charges it (warmUSDPerSecond), over the
 * answered requests and over the requests that met their SLO; floor = computeFloorUSD.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MoparError, log, watchLoad, type MachineLoad } from '../core/index.js';
import {
  concurrentInstanceUSD, getPlatform, initUSD, measuredInvocationUSD, physicalFloor, warmUSDPerSecond, planBatching, planOfGroup, planPartition, type AppSpec, type BatchGroup, type FnConfig, type Plan,
  type Platform,
} from '../plan/index.js';
import { buildPartition, modelProfile } from '../partition/index.js';
import type { BatchProfile } from '../profile/index.js';
import { DEFAULT_GATEWAY, DEFAULT_POOL, Gateway, infer, modelMetadata, randomFeeds, type FunctionInstance } from '../runtime/index.js';
import { writeZooModel, ZOO_NAMES } from '../zoo/index.js';
import { runLoad, summariseLoad, workloadSchedule, type AppLoadSummary, type LoadOutcome } from './loadgen.js';
import { machineInfo } from './run.js';
import type { BenchReport } from './types.js';

/** The built-in workload (`--workload --quick`): 4 applications, SLOs 0.2–2 s, 1–8 req/s, Poisson and bursty. */
export const QUICK_WORKLOAD: AppSpec[] = [
  { name: 'search', sloMs: 200, ratePerSec: 8 },
  { name: 'tagging', sloMs: 500, ratePerSec: 4, arrivals: { kind: 'bursty', peakToMean: 4, meanOnMs: 2000 } },
  { name: 'thumbs', sloMs: 1000, ratePerSec: 2 },
  { name: 'reports', sloMs: 2000, ratePerSec: 1, arrivals: { kind: 'bursty', peakToMean: 4, meanOnMs: 2000 } },
];
export const QUICK_WORKLOAD_PLATFORMS = ['gcp-cloud-run', 'aws-lambda'];
/** Multipliers of every application's rate: the x axis of the cost-vs-rate chart. */
export const QUICK_RATE_SCALES = [0.5, 2];

export const WORKLOAD_STRATEGIES = ['unbatched-unsplit', 'per-app', 'one-group', 'harmony', 'concurrency'] as const;
export type WorkloadStrategy = typeof WORKLOAD_STRATEGIES[number];

export interface WorkloadOptions {
  apps: AppSpec[];
  /** Zoo model, built with a dynamic batch dim. */
  model: string;
  tiny: boolean;
  platforms: string[];
  rateScales: number[];
  /** Arrivals per cell: this long (ms), at most maxRequests. */
  durationMs: number;
  maxRequests: number;
  seed: number;
  batchSizes: number[];
  /** Requests in flight per instance of the `concurrency` baseline; default the platform's `concurrency.maxPerInstance`. */
  concurrency?: number;
  workDir?: string;
}

export interface WorkloadGroupRow { apps: string[]; maxBatch: number; timeoutMs: number; functions: number; minInstances?: number }

export interface WorkloadRow {
  platform: string;
  model: string;
  rateScale: number;
  totalRatePerSec: number;
  strategy: WorkloadStrategy;
  /** False: the planner's prediction only (no way to serve it here); every measured field is then absent. */
  measured: boolean;
  feasible: boolean;
  groups: WorkloadGroupRow[];
  /** `concurrency` rows: requests in flight per instance as served. */
  concurrency?: number;
  /** `concurrency` rows: the busy share at which a service started another instance (the platform's target utilisation). */
  scaleAtUtilisation?: number;
  requests?: number;
  answered?: number;
  /** Per answered request: invocations billed per call at their measured duration, plus billed starts. */
  costPerRequestUSD?: number;
  /** The same bill ÷ the requests answered within their application's SLO. */
  costPerSloMetRequestUSD?: number;
  /** True: instance starts during the load are in the bill (initUSD at each start's measured duration). */
  startsBilled?: boolean;
  /** What the billed starts added, USD in all. */
  startsUSD?: number;
  /** What the warm minimum's instances added over the measured window (warmUSDPerSecond, as planned), USD in all. */
  warmUSD?: number;
  predictedCostPerRequestUSD?: number;
  floorPerRequestUSD: number;
  /** costPerRequestUSD ÷ floorPerRequestUSD. */
  costToFloor?: number;
  meanBatch?: number;
  /** Lowest over the applications. */
  sloAttainment?: number;
  /** Instances started while the load ran because a call found every instance busy (scale-out). */
  instanceStarts?: number;
  apps?: AppLoadSummary[];
  load?: MachineLoad;
  seconds?: number;
  error?: string;
}

export interface WorkloadReport {
  kind: 'mopar.workload';
  startedAt: string;
  finishedAt: string;
  machine: BenchReport['machine'];
  /** Highest load average over the whole run. */
  load: MachineLoad;
  config: Omit<WorkloadOptions, 'workDir'>;
  rows: WorkloadRow[];
  /** The model's measured latency per batch size and thread count (profile.batch), when profiled. */
  batchProfile?: BatchProfile;
  notes: string[];
}

/**
 * The compute floor of one request's work when requests may share invocations: each layer's profiled time at its
 * cheapest allowed configuration (plan/floor.ts physicalFloor's work, without the billing granule a lone request
 * pays) plus the invocation fee shared by the largest batch allowed — both are what batching can remove at best.
 */
export function computeFloorUSD(profile: Parameters<typeof physicalFloor>[0], platformId: string, maxBatch: number): number {
  const platform = getPlatform(platformId);
  return physicalFloor(profile, platform).workUSD + platform.price.perRequest / maxBatch;
}

const keyOf = (plan: Plan) => createHash('sha256').update(JSON.stringify(plan.functions)).digest('hex').slice(0, 16);

export async function runWorkloadBench(opts: WorkloadOptions): Promise<WorkloadReport> {
  if (!ZOO_NAMES.includes(opts.model)) throw new MoparError(`unknown zoo model '${opts.model}' (zoo models: ${ZOO_NAMES.join(', ')})`);
  for (const p of opts.platforms) getPlatform(p);
  if (!opts.rateScales.length || opts.rateScales.some((s) => !(s > 0))) throw new MoparError('rate scales must be positive numbers');
  const startedAt = new Date().toISOString();
  const watch = watchLoad();
  const work = opts.workDir ?? join(process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar'), 'workload');
  const key = `${opts.model}${opts.tiny ? '-tiny' : ''}-dyn`;
  const modelPath = join(work, `${key}.onnx`);
  const builds = join(work, `${key}-builds`);
  mkdirSync(work, { recursive: true });
  rmSync(builds, { recursive: true, force: true });
  if (!existsSync(modelPath)) writeZooModel(opts.model, modelPath, { tiny: opts.tiny, batch: 'dynamic' });
  log(`workload: profiling ${key} (batch sizes ${opts.batchSizes.join(',')}; cached)`);
  const { profile, graph } = await modelProfile(modelPath, {
    profileFile: { path: join(work, `${key}.profile.json`), mode: 'cache' }, profiling: { batchSizes: opts.batchSizes },
  });
  const build = async (plan: Plan): Promise<string> => {
    const dir = join(builds, keyOf(plan));
    if (!existsSync(join(dir, 'manifest.json'))) await buildPartition(modelPath, plan, dir);
    return dir;
  };
  const rows: WorkloadRow[] = [];
  for (const platformId of opts.platforms) {
    const floor = computeFloorUSD(profile, platformId, Math.max(...opts.batchSizes));
    const unsplit = planPartition(profile, { platform: platformId, strategy: 'unsplit', allowSloMiss: true, graph });
    for (const scale of opts.rateScales) {
      const apps = opts.apps.map((a) => ({ ...a, ratePerSec: a.ratePerSec * scale }));
      const total = apps.reduce((s, a) => s + a.ratePerSec, 0);
      const base = { platform: platformId, model: key, rateScale: scale, totalRatePerSec: total, floorPerRequestUSD: floor };
      let planned: ReturnType<typeof planBatching> | undefined;
      let planError: string | undefined;
      try {
        // Instances as the embedded runtime has them (its pool's limit and keep-alive), not the platform's defaults.
        planned = planBatching(profile, apps, { platform: platformId, batchSizes: opts.batchSizes, seed: opts.seed,
          maxInstances: DEFAULT_POOL.maxInstances, idleKeepMs: DEFAULT_POOL.keepWarmMs });
      } catch (err) {
        if (!(err instanceof MoparError)) throw err;
        planError = err.message;
      }
      const schedule = workloadSchedule(apps, { durationMs: opts.durationMs, maxRequests: opts.maxRequests }, opts.seed);
      for (const strategy of WORKLOAD_STRATEGIES) {
        if (strategy === 'concurrency') {
          const perInstance = opts.concurrency ?? getPlatform(platformId).concurrency?.maxPerInstance;
          if (perInstance === undefined) continue; // each request is its own invocation there (Lambda)
          const outcome = planned?.strategies.find((s) => s.strategy === strategy);
          const planGroups = outcome?.groups ?? [];
          const rest = apps.map((a) => a.name).filter((a) => !planGroups.some((g) => g.apps.includes(a)));
          const served: Served[] = [];
          for (const g of planGroups) served.push({ dir: await build(planOfGroup(g)!), group: undefined, apps: g.apps, minInstances: g.minInstances });
          if (rest.length) served.push({ dir: await build(unsplit), group: undefined, apps: rest });
          log(`workload: ${platformId} ×${scale} ${strategy} (${perInstance} per instance, ${served.length} service(s), ${schedule.length} requests)`);
          const scaleAtUtilisation = getPlatform(platformId).concurrency?.targetUtilisation;
          const groups = [...planGroups.map((g) => ({ apps: g.apps, maxBatch: 1, timeoutMs: 0, functions: g.functions.length, minInstances: g.minInstances })),
            ...(rest.length ? [{ apps: rest, maxBatch: 1, timeoutMs: 0, functions: unsplit.functions.length }] : [])];
          rows.push({ ...base, strategy, feasible: outcome?.feasible ?? false, concurrency: perInstance, ...(scaleAtUtilisation === undefined ? {} : { scaleAtUtilisation }), groups,
            ...(outcome?.feasible ? { predictedCostPerRequestUSD: outcome.costPerRequestUSD } : {}),
            ...await measure(platformId, apps, schedule, served, floor, { concurrency: perInstance, scaleAtUtilisation }) });
          continue;
        }
        if (strategy === 'unbatched-unsplit') {
          log(`workload: ${platformId} ×${scale} ${strategy} (${schedule.length} requests)`);
          const dir = await build(unsplit);
          rows.push({ ...base, strategy, feasible: true, ...await measure(platformId, apps, schedule, [{ dir, group: undefined }], floor),
            groups: [{ apps: apps.map((a) => a.name), maxBatch: 1, timeoutMs: 0, functions: unsplit.functions.length }],
            predictedCostPerRequestUSD: unsplit.predicted.costPerMillionUSD / 1e6 });
          continue;
        }
        const outcome = planned?.strategies.find((s) => s.strategy === strategy);
        if (!outcome) {
          rows.push({ ...base, strategy, measured: false, feasible: false, groups: [], error: planError ?? 'not planned' });
          continue;
        }
        const groups = outcome.groups.map((g) => ({ apps: g.apps, maxBatch: g.maxBatch, timeoutMs: g.timeoutMs, functions: g.functions.length, minInstances: g.minInstances }));
        if (!outcome.feasible) {
          rows.push({ ...base, strategy, measured: false, feasible: outcome.feasible, groups, predictedCostPerRequestUSD: outcome.costPerRequestUSD,
            ...(outcome.feasible ? {} : { error: `infeasible for ${outcome.infeasibleApps.join(', ')}` }) });
          continue;
        }
        log(`workload: ${platformId} ×${scale} ${strategy} (${outcome.groups.length} group(s), ${schedule.length} requests)`);
        const served: Served[] = [];
        for (const g of outcome.groups) served.push({ dir: await build(planOfGroup(g)!), group: g });
        rows.push({ ...base, strategy, feasible: true, groups, predictedCostPerRequestUSD: outcome.costPerRequestUSD,
          ...await measure(platformId, apps, schedule, served, floor) });
      }
    }
  }
  const rowsLoad = watch.stop();
  return {
    kind: 'mopar.workload', startedAt, finishedAt: new Date().toISOString(), machine: machineInfo(), load: rowsLoad,
    config: { apps: opts.apps, model: opts.model, tiny: opts.tiny, platforms: opts.platforms, rateScales: opts.rateScales,
      durationMs: opts.durationMs, maxRequests: opts.maxRequests, seed: opts.seed, batchSizes: opts.batchSizes,
      ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }) },
    rows, ...(profile.batch ? { batchProfile: profile.batch } : {}), notes: workloadNotes(profile.batch !== undefined),
  };
}

function workloadNotes(batchProfiled: boolean): string[] {
  return [
    'Cost counts function invocations, each billed at its own measured duration rounded up to the platform\'s granule (per call), and every instance start that began during the load billed as the platform bills init (Lambda\'s INIT phase, Cloud Run\'s instance time from start) at its measured duration (a start still under way when the load ends is waited for; one that never finished is billed for the time it ran); hand-off transfer fees are left out. Cost per SLO-met request divides the same bill by the requests answered within their SLO.',
    'The planner modelled the embedded runtime\'s instances (its pool: at most DEFAULT_POOL.maxInstances per function, idle ones kept DEFAULT_POOL.keepWarmMs) and chose a warm minimum per group (groups[].minInstances); the runtime holds it (that many instances per function started before the clock, never reclaimed, restarted if one dies; at least one warm instance per function either way), and the bill charges it over the measured window at the platform\'s warm price (plan/billing.ts warmUSDPerSecond, as the planner does; warmUSD).',
    "The floor is the compute floor of the work (computeFloorUSD): each layer's profiled time at its cheapest allowed configuration (plan/floor.ts physicalFloor's work, without the billing granule a lone request pays) plus the invocation fee shared by the largest batch allowed. It rests on the profile: a profile taken on a loaded machine inflates it (× floor below 1 then means the profile was slower than the served run).",
    "'concurrency' (the platform's own request concurrency, Cloud Run --concurrency) is measured: the same arrivals served unbatched on the planner's concurrent services (the unsplit function for applications it found none for), up to `concurrency` requests in flight per instance (default the platform's, Cloud Run 80), each service holding the warm minimum the planner chose for it (billed as a group's is); an instance is billed its busy time (instance time while ≥ 1 request is active, each busy period rounded up to the granule) plus the request fee per request (plan/billing.ts concurrentInstanceUSD), not each request's duration. The runtime starts another instance of a service when its instances' busy share (time with a request active, over ~10 s: runtime/utilisation.ts) reaches the platform's target utilisation (Cloud Run 60 %, as its autoscaler targets CPU), or when every instance holds `concurrency` requests; at most DEFAULT_POOL.maxInstances per function, as the planner assumes.",
    'All functions share this machine\'s cores with the load generator; latency includes the HTTP hop to 127.0.0.1.',
    'Instance starts: instances started on demand while the load ran (a call found every instance busy); each is a cold start (seconds under a fractional CPU quota here), billed and now in the planner\'s queue model.',
    ...(batchProfiled ? [] : ['No batch profile: the planner assumed per-item time flat in the batch size.']),
  ];
}

/** How long the bill waits for instance starts still under way when the load ends (a cold start takes seconds). */
const START_WAIT_MS = 60_000;

/** USD of calls billed one by one at their measured durations (the granule rounding per call, not of the mean). */
export function billCalls(platform: Platform, fn: FnConfig, durationsMs: readonly number[]): number {
  return durationsMs.reduce((s, ms) => s + measuredInvocationUSD(platform, fn, ms), 0);
}

/** USD of instance starts of the measured durations, as the platform bills init (0 where it does not). */
export function billStarts(platform: Platform, fn: FnConfig, coldMs: readonly number[]): number {
  return coldMs.reduce((s, ms) => s + initUSD(platform, fn, ms), 0);
}

/**
 * USD of the instance starts that began in a measured window (`key` model/function, configurations in `fns`): a
 * finished start at its measured duration, one that did not finish (it failed, or is still under way) for the time
 * it has run by `now`.
 */
/**
 * Every call's duration in ms per 'model/function', as the gateway observes it (its billed ms): benches bill each
 * call on its own. `untap` restores the gateway's metrics.
 */
export function tapCallDurations(gw: Gateway): { callMs: Map<string, number[]>; untap: () => void } {
  const callMs = new Map<string, number[]>();
  const observe = gw.metrics.observe.bind(gw.metrics);
  gw.metrics.observe = (name, labels, value) => {
    if (name === 'mopar_function_duration_seconds') {
      const k = `${labels.model}/${labels.function}`;
      const list = callMs.get(k);
      if (list) list.push(value * 1000); else callMs.set(k, [value * 1000]);
    }
    observe(name, labels, value);
  };
  return { callMs, untap: () => { gw.metrics.observe = observe; } };
}

export function billWindowStarts(platform: Platform, fns: ReadonlyMap<string, FnConfig>,
  starts: ReadonlyArray<{ key: string; inst: Pick<FunctionInstance, 'isReady' | 'coldStartMs' | 'startedAt'> }>, now: number): number {
  return starts.reduce((s, { key, inst }) => s + billStarts(platform, fns.get(key)!, [inst.isReady ? inst.coldStartMs : now - inst.startedAt]), 0);
}

export type Measured = Pick<WorkloadRow, 'measured' | 'requests' | 'answered' | 'costPerRequestUSD' | 'costPerSloMetRequestUSD' | 'startsBilled' | 'startsUSD' | 'warmUSD' | 'costToFloor' | 'meanBatch' | 'sloAttainment' | 'instanceStarts' | 'apps' | 'load' | 'seconds' | 'error'>;

/** One served build: batched for `group`, or unbatched for `apps` (default: every application). */
/** `minInstances`: an unbatched service's planned warm minimum (its predicted cost includes it); a group's is its own. */
export interface Served { dir: string; group: BatchGroup | undefined; apps?: string[]; minInstances?: number }

/**
 * Serves the given builds (one model per batching group or service), sends the schedule (each request to its
 * application's build), and bills what ran. `concurrency`: that many calls in flight per instance, each instance
 * billed its busy time (concurrentInstanceUSD) instead of every call on its own.
 */
export async function measure(platformId: string, apps: AppSpec[], schedule: ReturnType<typeof workloadSchedule>,
  served: Served[], floor: number, o: { concurrency?: number; scaleAtUtilisation?: number } = {}): Promise<Measured> {
  const t0 = performance.now();
  const platform = getPlatform(platformId);
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true, ...(o.concurrency ? { pool: { ...DEFAULT_GATEWAY.pool, maxInFlight: o.concurrency, scaleAtUtilisation: o.scaleAtUtilisation } } : {}) });
  try {
    const modelOf = new Map<string, string>();
    const batched = new Set<string>();
    const names = served.map((s, i) => {
      const name = gw.addModel(s.dir, `g${i}`);
      if (s.group) {
        batched.add(name);
        const slo = new Map(apps.map((a) => [a.name, a.sloMs]));
        gw.enableBatching(name, { groups: [{ apps: s.group.apps.map((a) => ({ name: a, sloMs: slo.get(a)! })), maxBatch: s.group.maxBatch, timeoutMs: s.group.timeoutMs }] });
        for (const p of gw.models.get(name)!.pools.values()) p.setMinInstances(s.group.minInstances); // as planned, held from listen on
        for (const a of s.group.apps) modelOf.set(a, name);
      } else {
        if (s.minInstances) for (const p of gw.models.get(name)!.pools.values()) p.setMinInstances(s.minInstances);
        for (const a of s.apps ?? apps.map((x) => x.name)) modelOf.set(a, name);
      }
      return name;
    });
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const meta = await modelMetadata(url, names[0]!);
    // Inputs made before the clock starts; warm-ups (not counted) so every side is compared warm.
    const feeds = Array.from({ length: 8 }, (_, i) => randomFeeds(meta, i + 1));
    for (const n of names) await infer(url, n, feeds[0]!);
    // The warm minimums ready before the clock starts (the planner's steady state has them loaded).
    await Promise.all(names.map((n) => gw.models.get(n)!.startFailures()));
    const before = names.map((n) => gw.stats(n));
    // Every instance started in the measured window is billed, also one still starting when the load ends.
    const starts: Array<{ key: string; inst: FunctionInstance }> = [];
    // Concurrency: each instance's calls as [receipt, answer] on the host's clock (its busy time is billed).
    const busy = new Map<FunctionInstance, { key: string; spans: Array<[number, number]> }>();
    const track = (key: string, inst: FunctionInstance) => {
      if (!o.concurrency || busy.has(inst)) return;
      const rec = { key, spans: [] as Array<[number, number]> };
      busy.set(inst, rec);
      const invoke = inst.invoke.bind(inst);
      inst.invoke = async (...args) => {
        const sent = performance.timeOrigin + performance.now();
        const r = await invoke(...args);
        const at = r.stats.recvAt ?? sent;
        rec.spans.push([at, at + r.stats.hostMs]);
        return r;
      };
    };
    for (const n of names) for (const [fn, pool] of gw.models.get(n)!.pools) for (const inst of pool.instances) track(`${n}/${fn}`, inst);
    let instanceStarts = 0;
    gw.onSpawn = (model, fn, inst, reason) => {
      starts.push({ key: `${model}/${fn}`, inst });
      track(`${model}/${fn}`, inst);
      if (reason === 'demand') instanceStarts++;
    };
    // Each call billed on its own (the mean's rounding is not the sum of the calls' roundings on a 100 ms granule).
    const { callMs, untap: untapCalls } = tapCallDurations(gw);
    const watch = watchLoad();
    const w0 = performance.now();
    const outcomes: LoadOutcome[] = await runLoad(schedule, async (req, i) => {
      const model = modelOf.get(req.app)!;
      const reply = await infer(url, model, feeds[i % feeds.length]!, batched.has(model) ? { app: req.app } : {});
      return reply.batchSize === undefined ? {} : { batchSize: reply.batchSize };
    });
    const windowS = (performance.now() - w0) / 1000;
    const load = watch.stop();
    gw.onSpawn = undefined;
    untapCalls();
    // Starts under way finish first (bounded; gw.close stops what is left), so each is billed at its measured length.
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(starts.map((x) => x.inst.started())), new Promise((r) => { waited = setTimeout(r, START_WAIT_MS); })]);
    clearTimeout(waited);
    let usd = 0;
    let warmUSD = 0;
    let batches = 0;
    const fns = new Map<string, FnConfig>();
    names.forEach((n, i) => {
      const after = gw.stats(n);
      after.functions.forEach((f) => {
        fns.set(`${n}/${f.name}`, f);
        if (!o.concurrency) usd += billCalls(platform, f, callMs.get(`${n}/${f.name}`) ?? []);
        warmUSD += gw.models.get(n)!.pools.get(f.name)!.minInstances * warmUSDPerSecond(platform, [f]) * windowS;
      });
      // Batches = invocations of the group's first function.
      batches += after.functions[0]!.invocations - before[i]!.functions[0]!.invocations;
    });
    for (const { key, spans } of busy.values()) usd += concurrentInstanceUSD(platform, fns.get(key)!, spans);
    const startsUSD = billWindowStarts(platform, fns, starts, performance.now());
    usd += startsUSD + warmUSD;
    const answered = outcomes.filter((o) => o.ok).length;
    const slo = new Map(apps.map((a) => [a.name, a.sloMs]));
    const sloMet = outcomes.filter((o) => o.ok && o.latencyMs <= slo.get(o.app)!).length;
    const perApp = summariseLoad(apps, outcomes);
    const cost = answered ? usd / answered : NaN;
    const failed = outcomes.find((o) => !o.ok);
    return {
      measured: true, requests: outcomes.length, answered, costPerRequestUSD: cost, costToFloor: cost / floor,
      costPerSloMetRequestUSD: sloMet ? usd / sloMet : NaN, startsBilled: true, startsUSD, warmUSD,
      meanBatch: batches ? answered / batches : NaN, instanceStarts, sloAttainment: Math.min(...perApp.map((a) => (Number.isNaN(a.sloAttainment) ? 1 : a.sloAttainment))),
      apps: perApp, load, seconds: (performance.now() - t0) / 1000,
      ...(failed ? { error: `${outcomes.length - answered} of ${outcomes.length} requests failed (first: ${failed.error})` } : {}),
    };
  } finally {
    await gw.close();
  }
}
