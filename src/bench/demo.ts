/**
 * `mopar demo`: the whole path on one zoo model (ResNet-50 by default) — build, profile, plan, build, verify —
 * then the unsplit and the partitioned model served side by side on the embedded runtime, a bounded batch of
 * requests to each, outputs compared, and a side-by-side table of latency, memory and cost. Then batching:
 * several applications with different SLOs on the same model, HarmonyBatch's groups (batched and partitioned)
 * against one request per invocation of the unsplit function, both driven by the same seeded arrivals at once.
 */
import { loadWarning, watchLoad, CheckFailedError, MoparError, log, cgroupsAvailable, quantile, type MachineLoad } from '../core/index.js';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { writeZooModel, ZOO_NAMES } from '../zoo/index.js';
import { getPlatform, planBatching, planOfGroup, type AppSpec, type BatchGroup, type Plan } from '../plan/index.js';
import { buildPartition } from '../partition/index.js';
import { workloadSchedule } from './loadgen.js';
import { computeFloorUSD, measure, type Measured } from './workload.js';
import { compareTensors, modelProfile, partitionModel, verifyPartition } from '../partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../runtime/index.js';
import { functionsBetween, requestBill } from './measure.js';

export interface DemoOptions {
  model: string;
  tiny: boolean;
  platform: string;
  requests: number;
  workDir?: string;
}

export interface DemoSide {
  name: string;
  functions: number;
  p50Ms: number;
  p95Ms: number;
  peakRssMB: Record<string, number>;
  configuredMB: number;
  gbSecondsPerRequest: number;
  vcpuSecondsPerRequest: number;
  costPerMillionUSD: number;
  predictedCostPerMillionUSD: number;
}

export interface DemoResult {
  model: string;
  platform: string;
  requests: number;
  limitsEnforced: boolean;
  maxRelErr: number;
  verify: { ok: boolean; maxRelErr: number };
  /** The partitioned plan's latency target (the unsplit function's predicted latency). */
  sloMs: number;
  /** The planner found nothing cheaper than the unsplit function: both sides deploy the same function. */
  samePlanAsUnsplit: boolean;
  unsplit: DemoSide;
  partitioned: DemoSide;
  seconds: number;
  /** Load while the requests were measured (core/load.ts); `profileLoad` while profiling, when profiled now. */
  load: MachineLoad;
  profileLoad?: MachineLoad;
  /** Sentences on what makes these numbers suspect (a loaded machine), printed with the result. */
  warnings: string[];
  /** Several applications on the model: batched + partitioned (HarmonyBatch groups) vs one request per invocation of the unsplit function. */
  batching: DemoBatching;
}

export interface DemoBatching {
  apps: AppSpec[];
  /** Seconds of arrivals sent to both sides at once. */
  seconds: number;
  groups?: Array<{ apps: string[]; maxBatch: number; timeoutMs: number; functions: number }>;
  unbatched?: Measured;
  batched?: Measured;
  /** Why the batched side could not run (no plan meets the SLOs). */
  error?: string;
}

/** Seconds of arrivals of the demo's batching part (both sides at once). */
const DEMO_BATCH_SECONDS = 6;

/**
 * Three applications scaled to the model: SLOs 3, 6 and 12 × its one-request latency, 1.2 req/s in all spread
 * over slower ones (a light load for two cores at a ResNet-50's 0.25 s per request).
 */
function demoApps(latencyMs: number, tiny: boolean): AppSpec[] {
  const slo = (k: number) => Math.round(Math.max(k * latencyMs, tiny ? 100 * k : 0));
  const rate = tiny ? 6 : Math.min(6, 0.3 * 1000 / latencyMs);
  return [
    { name: 'chat', sloMs: slo(3), ratePerSec: round2(rate * 0.5) },
    { name: 'feed', sloMs: slo(6), ratePerSec: round2(rate * 0.3), arrivals: { kind: 'bursty', peakToMean: 3, meanOnMs: 2000 } },
    { name: 'archive', sloMs: slo(12), ratePerSec: round2(rate * 0.2) },
  ];
}
const round2 = (x: number) => Math.max(0.01, Math.round(x * 100) / 100);


export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  if (!ZOO_NAMES.includes(opts.model)) throw new MoparError(`unknown zoo model '${opts.model}' (zoo models: ${ZOO_NAMES.join(', ')})`);
  const platform = getPlatform(opts.platform);
  const work = opts.workDir ?? join(process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar'), 'demo');
  mkdirSync(work, { recursive: true });
  const key = `${opts.model}${opts.tiny ? '-tiny' : ''}`;
  // A dynamic batch dim, so that the batching part can batch the same model.
  const modelPath = join(work, `${key}-dynamic.onnx`);
  const steps = ['build model', 'profile', 'plan', 'build functions', 'verify', 'serve', 'requests', 'batching'];
  const bar = new cliProgress.SingleBar({ format: 'demo [{bar}] {step} | {value}/{total}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  const tty = process.stderr.isTTY && !process.env.MOPAR_QUIET;
  const step = (i: number) => { if (tty) bar.update(i, { step: steps[i] ?? 'done' }); else log(`demo: ${steps[i] ?? 'done'}`); };
  if (tty) bar.start(steps.length, 0, { step: steps[0] });
  try {
    step(0);
    if (!existsSync(modelPath)) writeZooModel(opts.model, modelPath, { tiny: opts.tiny, batch: 'dynamic' });
    step(1);
    const profiled = await modelProfile(modelPath, { profileFile: { path: join(work, `${key}-dynamic.profile.json`), mode: 'cache' } });
    step(2);
    const dirs = { unsplit: join(work, `${key}-unsplit`), partitioned: join(work, `${key}-mopar`) };
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
    let building = false;
    const partition = (strategy: string, outDir: string) => partitionModel(modelPath, {
      profiled, plan: { platform: platform.id, strategy, allowSloMiss: true }, outDir,
      onPlan: () => { if (!building) step(3); building = true; },
    });
    const plans: Record<'unsplit' | 'partitioned', Plan> = {
      unsplit: (await partition('unsplit', dirs.unsplit)).plan,
      partitioned: (await partition('mopar', dirs.partitioned)).plan,
    };
    step(4);
    const verify = await verifyPartition(modelPath, dirs.partitioned, { runs: 2 });
    if (!verify.ok) throw new CheckFailedError(`partitioned ${key} does not reproduce the unsplit outputs (max relative error ${verify.maxRelErr})`);
    step(5);
    const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true });
    try {
      const names = { unsplit: gw.addModel(dirs.unsplit, `${key}-unsplit`), partitioned: gw.addModel(dirs.partitioned, `${key}-mopar`) };
      const addr = await gw.listen(0);
      const url = `http://127.0.0.1:${addr.port}`;
      const meta = await modelMetadata(url, names.unsplit);
      step(6);
      const lat = { unsplit: [] as number[], partitioned: [] as number[] };
      let maxRelErr = 0;
      let close = true;
      // Warm-up requests (not counted) so both sides are compared warm.
      for (const side of ['unsplit', 'partitioned'] as const) await infer(url, names[side], randomFeeds(meta, 0));
      const before = { unsplit: gw.stats(names.unsplit), partitioned: gw.stats(names.partitioned) };
      const watch = watchLoad();
      for (let i = 0; i < opts.requests; i++) {
        const feeds = randomFeeds(meta, i + 1);
        const outs: Record<string, Awaited<ReturnType<typeof infer>>> = {};
        // Alternate the order so neither side always runs on a cooler machine.
        const order = i % 2 === 0 ? (['unsplit', 'partitioned'] as const) : (['partitioned', 'unsplit'] as const);
        for (const side of order) {
          const s = performance.now();
          const r = await infer(url, names[side], feeds);
          if (r.status !== 200) throw new MoparError(`request ${i} to ${names[side]} failed with HTTP ${r.status}`);
          lat[side].push(performance.now() - s);
          outs[side] = r;
        }
        for (const [k, t] of Object.entries(outs.unsplit!.outputs)) {
          const c = compareTensors(outs.partitioned!.outputs[k], t);
          maxRelErr = Math.max(maxRelErr, c.rel);
          close &&= c.ok;
        }
      }
      const side = (s: 'unsplit' | 'partitioned'): DemoSide => {
        const st = gw.stats(names[s]);
        const fns = functionsBetween(before[s], st);
        const bill = requestBill(platform, fns, lat[s]);
        const rss = Object.fromEntries(fns.map((f) => [f.name, f.peakRssMB]));
        return {
          name: names[s], functions: st.functions.length, p50Ms: quantile(lat[s], 0.5), p95Ms: quantile(lat[s], 0.95), peakRssMB: rss,
          configuredMB: st.functions.reduce((a, f) => a + f.memoryMB, 0),
          gbSecondsPerRequest: bill.gbSeconds, vcpuSecondsPerRequest: bill.vcpuSeconds, costPerMillionUSD: bill.usd * 1e6,
          predictedCostPerMillionUSD: plans[s].predicted.costPerMillionUSD,
        };
      };
      const sides = { unsplit: side('unsplit'), partitioned: side('partitioned') };
      await gw.close();
      step(7);
      const batching = await demoBatching(opts, modelPath, key, work, profiled.profile, platform.id, plans.unsplit, dirs.unsplit);
      const load = watch.stop();
      const warnings = [loadWarning(load, 'the measured latencies and costs'), loadWarning(profiled.profile.load, 'the profiled timings the plan rests on')]
        .filter((w): w is string => !!w);
      const result: DemoResult = {
        model: key, platform: platform.id, requests: opts.requests,
        limitsEnforced: cgroupsAvailable().cpu && cgroupsAvailable().memory,
        maxRelErr, verify: { ok: verify.ok, maxRelErr: verify.maxRelErr },
        sloMs: plans.partitioned.sloMs, samePlanAsUnsplit: sameFunctions(plans.unsplit, plans.partitioned),
        unsplit: sides.unsplit, partitioned: sides.partitioned, seconds: (performance.now() - t0) / 1000,
        load, ...(profiled.profile.load ? { profileLoad: profiled.profile.load } : {}), warnings, batching,
      };
      if (!close) throw new CheckFailedError(`served partitioned outputs differ from unsplit (max relative error ${maxRelErr})`);
      return result;
    } finally {
      await gw.close();
    }
  } finally {
    if (tty) { bar.update(steps.length, { step: 'done' }); bar.stop(); }
  }
}

/** The batching part: HarmonyBatch's groups built and served batched vs the unsplit function, one request per invocation. */
async function demoBatching(opts: DemoOptions, modelPath: string, key: string, work: string, profile: Parameters<typeof planBatching>[0],
  platformId: string, unsplit: Plan, unsplitDir: string): Promise<DemoBatching> {
  const apps = demoApps(unsplit.predicted.latencyMs, opts.tiny);
  const out: DemoBatching = { apps, seconds: DEMO_BATCH_SECONDS };
  let groups: BatchGroup[];
  try {
    groups = planBatching(profile, apps, { platform: platformId, batchSizes: [1, 2, 4, 8] }).groups;
  } catch (err) {
    if (!(err instanceof MoparError)) throw err;
    return { ...out, error: err.message };
  }
  out.groups = groups.map((g) => ({ apps: g.apps, maxBatch: g.maxBatch, timeoutMs: g.timeoutMs, functions: g.functions.length }));
  const served: Array<{ dir: string; group: BatchGroup }> = [];
  // Groups whose functions are the unsplit function's reuse its build (the demo stays within a minute).
  const built: Array<{ plan: Plan; dir: string }> = [{ plan: unsplit, dir: unsplitDir }];
  for (const [i, g] of groups.entries()) {
    const plan = planOfGroup(g)!;
    let dir = built.find((b) => sameBuild(b.plan, plan))?.dir;
    if (!dir) {
      dir = join(work, `${key}-batch-g${i}`);
      rmSync(dir, { recursive: true, force: true });
      await buildPartition(modelPath, plan, dir);
      built.push({ plan, dir });
    }
    served.push({ dir, group: g });
  }
  const schedule = workloadSchedule(apps, { durationMs: DEMO_BATCH_SECONDS * 1000, maxRequests: 500 }, 1);
  const floorUSD = computeFloorUSD(profile, platformId, 8);
  // Both sides at once, on the same arrivals: neither gets a quieter machine.
  const [unbatched, batched] = await Promise.all([
    measure(platformId, apps, schedule, [{ dir: unsplitDir, group: undefined }], floorUSD),
    measure(platformId, apps, schedule, served, floorUSD),
  ]);
  return { ...out, unbatched, batched };
}

/** Two plans whose builds are the same files: the same functions (nodes, sizes, splits) and hand-offs. */
function sameBuild(a: Plan, b: Plan): boolean {
  const key = (p: Plan) => JSON.stringify([p.functions.map((f) => [f.name, f.group, f.nodes, f.memoryMB, f.vcpu, f.split ?? null]), p.edges.map((e) => [e.from, e.to, e.tensor, e.transport])]);
  return key(a) === key(b);
}

function sameFunctions(a: Plan, b: Plan): boolean {
  const key = (p: Plan) => JSON.stringify(p.functions.map((f) => [f.nodes.length, f.memoryMB, f.vcpu, f.split?.parts ?? 1]));
  return key(a) === key(b);
}
