/**
 * `mopar demo`: the whole path on one zoo model (ResNet-50 by default) — build, profile, plan, build, verify —
 * then the unsplit and the partitioned model served side by side on the embedded runtime, a bounded batch of
 * requests to each, outputs compared, and a side-by-side table of latency, memory and cost.
 */
import { loadWarning, watchLoad, CheckFailedError, MoparError, log, cgroupsAvailable, type MachineLoad } from '../core/index.js';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { writeZooModel, ZOO_NAMES } from '../zoo/index.js';
import { getPlatform, type Plan } from '../plan/index.js';
import { compareTensors, modelProfile, partitionModel, verifyPartition } from '../partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../runtime/index.js';
import { functionsBetween, percentile, requestBill } from './measure.js';

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
}


export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  if (!ZOO_NAMES.includes(opts.model)) throw new MoparError(`unknown zoo model '${opts.model}' (zoo models: ${ZOO_NAMES.join(', ')})`);
  const platform = getPlatform(opts.platform);
  const work = opts.workDir ?? join(process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar'), 'demo');
  mkdirSync(work, { recursive: true });
  const key = `${opts.model}${opts.tiny ? '-tiny' : ''}`;
  const modelPath = join(work, `${key}.onnx`);
  const steps = ['build model', 'profile', 'plan', 'build functions', 'verify', 'serve', 'requests'];
  const bar = new cliProgress.SingleBar({ format: 'demo [{bar}] {step} | {value}/{total}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  const tty = process.stderr.isTTY && !process.env.MOPAR_QUIET;
  const step = (i: number) => { if (tty) bar.update(i, { step: steps[i] ?? 'done' }); else log(`demo: ${steps[i] ?? 'done'}`); };
  if (tty) bar.start(steps.length, 0, { step: steps[0] });
  try {
    step(0);
    if (!existsSync(modelPath)) writeZooModel(opts.model, modelPath, { tiny: opts.tiny });
    step(1);
    const profiled = await modelProfile(modelPath, { profileFile: { path: join(work, `${key}.profile.json`), mode: 'cache' } });
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
        const bill = requestBill(platform, fns);
        const rss = Object.fromEntries(fns.map((f) => [f.name, f.peakRssMB]));
        return {
          name: names[s], functions: st.functions.length, p50Ms: percentile(lat[s], 0.5), p95Ms: percentile(lat[s], 0.95), peakRssMB: rss,
          configuredMB: st.functions.reduce((a, f) => a + f.memoryMB, 0),
          gbSecondsPerRequest: bill.gbSeconds, vcpuSecondsPerRequest: bill.vcpuSeconds, costPerMillionUSD: bill.usd * 1e6,
          predictedCostPerMillionUSD: plans[s].predicted.costPerMillionUSD,
        };
      };
      const load = watch.stop();
      const warnings = [loadWarning(load, 'the measured latencies and costs'), loadWarning(profiled.profile.load, 'the profiled timings the plan rests on')]
        .filter((w): w is string => !!w);
      const result: DemoResult = {
        model: key, platform: platform.id, requests: opts.requests,
        limitsEnforced: cgroupsAvailable().cpu && cgroupsAvailable().memory,
        maxRelErr, verify: { ok: verify.ok, maxRelErr: verify.maxRelErr },
        sloMs: plans.partitioned.sloMs, samePlanAsUnsplit: sameFunctions(plans.unsplit, plans.partitioned),
        unsplit: side('unsplit'), partitioned: side('partitioned'), seconds: (performance.now() - t0) / 1000,
        load, ...(profiled.profile.load ? { profileLoad: profiled.profile.load } : {}), warnings,
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

function sameFunctions(a: Plan, b: Plan): boolean {
  const key = (p: Plan) => JSON.stringify(p.functions.map((f) => [f.nodes.length, f.memoryMB, f.vcpu, f.split?.parts ?? 1]));
  return key(a) === key(b);
}
