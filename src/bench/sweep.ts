/**
 * `mopar bench --sweep`: per model × platform, a ladder of SLOs from the fastest any strategy can reach to twice the
 * unsplit function's 1-vCPU latency. At each step every strategy plans its cheapest deployment that meets the SLO
 * (or says it cannot); `unsplit` is the best single function that meets it. Deployments that are identical are
 * built and measured once, all of one model × platform served at once and measured interleaved (turns of a few
 * back-to-back requests, rotating), so drift on this shared machine does not masquerade as a difference between
 * them. One deployment is served twice as a control: the spread between the two copies is the noise floor (summary.ts noiseFloor).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, MoparError, log, type MachineLoad } from '../core/index.js';
import { zooModels, writeZooModel } from '../zoo/index.js';
import type { Graph } from '../graph/index.js';
import type { Profile } from '../profile/index.js';
import { getPlatform, parseStrategy, physicalFloor, planPartition, PLATFORMS, type Plan, type PlanFunction, type Platform } from '../plan/index.js';
import { buildPartition, verifyPartition } from '../partition/index.js';
import { measureInterleaved, WARM_BLOCK, type Measured } from './sweep-measure.js';
import { servedHere } from './served-here.js';
import type { Composition, MeasuredAs } from './compose.js';
import { noiseFloor } from './summary.js';
import { DEFAULT_STRATEGIES, benchProfile, machineInfo, parseModels, type ModelRef } from './run.js';
import type { BenchRow, NoiseFloor, BenchReport } from './types.js';

export interface SweepOptions {
  out: string;
  models?: string[];
  platforms?: string[];
  strategies?: string[];
  quick?: boolean;
  /** SLO steps per model × platform (default 6; --quick 2). */
  steps?: number;
  warmRequests?: number;
  coldRequests?: number;
}

/** --quick sweep: tiny models, two SLO steps, one platform where CPU follows memory and one where it does not. */
export const QUICK_SWEEP_MODELS = ['resnet50:tiny', 'mobilenetv2:tiny', 'vit-b16:tiny', 'bert-base:tiny', 'dlrm:tiny'];
export const QUICK_SWEEP_PLATFORMS = ['aws-lambda', 'gcp-cloud-run'];

export interface SweepRow {
  model: string;
  platform: string;
  /** 0 = tightest step. */
  step: number;
  sloMs: number;
  strategy: string;
  /**
   * Judged on measurement: the deployment was measured and its measured latency at SLO_PERCENTILE met the SLO
   * (= measuredSloMet). A plan that only predicts it meets the SLO is `predictedSloMet`.
   */
  feasible: boolean;
  /** The strategy's plan predicts it meets the SLO (only such plans are built and measured). */
  predictedSloMet: boolean;
  /** Measured p50 ≤ SLO; null where nothing was measured (not predicted to meet it, or the build failed). */
  measuredSloMet: boolean | null;
  /** The highest 1-minute load average while this cell's model × platform was measured (its warm requests). */
  load?: MachineLoad;
  /** The same while the group's cold requests ran (each starts all of a deployment's functions at once): coldStartMs's load. */
  coldLoad?: MachineLoad;
  functions: number;
  subSlices: number;
  /**
   * The most vCPU any of the plan's functions gets: a function of as many vCPU as this machine has cores shares
   * them with the gateway and the load generator while it is measured, which no platform does.
   */
  maxVcpu?: number;
  /** Index of the measured deployment within its model × platform (identical plans share one). */
  deployment: number | null;
  /**
   * p50Ms = latencyMs (the plan's one-request latency); p99Ms null: plans predict no tail. `servedHereMs`: the same
   * plan with its hand-offs priced as this runtime performs them (shared memory; served-here.ts), what a local
   * measurement can be held to where the platform's own transport cannot run here.
   */
  predicted: { latencyMs: number; p50Ms: number; p99Ms: number | null; costPerMillionUSD: number; servedHereMs?: number };
  measured: {
    costPerMillionUSD: number; p50Ms: number; p95Ms: number; p99Ms: number; coldStartMs: number; requests: number; errors: number;
    billedFrom?: 'one-at-a-time';
    /** `composed`: p50/p95/p99 composed along the DAG from a one-function-at-a-time pass (compose.ts). */
    measuredAs?: MeasuredAs;
    /** Plans with parallel functions: the composed latency; `validation` where they were also served concurrently. */
    composition?: Composition;
  } | null;
  floorPerMillionUSD: number;
  verify?: { ok: boolean; maxRelErr: number };
  error?: string;
}

export interface SplitBound {
  model: string;
  platform: string;
  /** Best unsplit ÷ split cost the platform's rules allow (splitBoundRatio); null (JSON) = unsplit does not fit at all. */
  boundRatio: number;
  /** Measured unsplit ÷ mopar cost at the loosest SLO step (null when either was not measured). */
  measuredRatio: number | null;
}

/**
 * Live memory over one inference of a model, per layer, and where one platform's mopar plan cuts it (issue 15's
 * memory timeline): the unsplit function holds every weight for the whole run; a split function holds only its own
 * layers' weights while they run. Activations are the profile's per-layer peaks, so their spikes show.
 */
export interface MemoryTrack {
  model: string;
  platform: string;
  /** SLO step whose mopar plan is drawn (the loosest; null when mopar had no plan at any step). */
  step: number | null;
  /** Per layer: peak live activations while it runs, MB. */
  activationMB: number[];
  /** All weights, MB (what the unsplit function keeps resident). */
  weightsMB: number;
  /** Per layer: weights resident in the mopar function running it, MB (parallel sub-slices: the largest part). */
  moparResidentMB: number[];
  /** Layer indices after which mopar's plan starts a new function. */
  cuts: number[];
}

export interface SweepReport {
  kind: 'mopar.bench';
  version: 1;
  mode: 'sweep';
  startedAt: string;
  finishedAt: string;
  machine: BenchReport['machine'];
  /** 1-minute load average at start and end: this machine is shared. */
  loadAverage: [number, number];
  /** `warmBlock`: warm requests each deployment got in a row per turn (absent: 1, reports before 2026-12-07). */
  config: { models: string[]; platforms: string[]; strategies: string[]; quick: boolean; steps: number; warmRequests: number; warmBlock?: number; coldRequests: number };
  sweep: SweepRow[];
  splitBound: SplitBound[];
  /** One per model × platform (absent in reports made before the timeline was added). */
  memory?: MemoryTrack[];
  noise?: NoiseFloor;
}

/** The memory track of `plan` (mopar's, usually) over the profile's layers. */
export function memoryTrack(profile: Profile, platform: string, plan: Plan | undefined, step: number | null): MemoryTrack {
  const act = profile.layers.map((l) => l.peakActivationMB);
  const resident = profile.layers.map(() => NaN);
  const cuts: number[] = [];
  if (plan) {
    const groups = new Map<string, PlanFunction[]>();
    for (const f of plan.functions) groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
    for (const fs of groups.values()) {
      const [a, b] = fs[0]!.layers;
      const weights = profile.layers.slice(a, b + 1).reduce((x, l) => x + l.paramMB, 0);
      // Sub-slices that split weights (output channels) each hold about 1/k of them; others hold all.
      const inverse = fs.length > 1 && fs[0]!.split?.kind !== undefined && profile.layers.slice(a, b + 1).some((l) => l.splits.some((o) => o.kind === fs[0]!.split!.kind && o.weightsFractionPerPart === 'inverse'));
      for (let i = a; i <= b; i++) resident[i] = inverse ? weights / fs.length : weights;
      if (b < profile.layers.length - 1) cuts.push(b);
    }
  }
  return { model: profile.model, platform, step, activationMB: act.map(round), weightsMB: round(profile.memory.weightsMB), moparResidentMB: resident.map(round), cuts: cuts.sort((x, y) => x - y) };
}

/** Geometric ladder of `steps` SLOs from `lo` to `hi` (both included). */
export function sloLadder(lo: number, hi: number, steps: number): number[] {
  if (!(lo > 0) || !(hi >= lo)) throw new MoparError(`SLO ladder needs 0 < lo ≤ hi, got ${lo}, ${hi}`);
  if (steps <= 1 || hi === lo) return [hi];
  return Array.from({ length: steps }, (_, i) => lo * (hi / lo) ** (i / (steps - 1)));
}

/** What a plan deploys: each function's nodes, memory, CPU and split (equal keys = identical deployments). */
export function deploymentKey(plan: Plan): string {
  return JSON.stringify(plan.functions.map((f) => [f.group, f.nodes, f.memoryMB, f.vcpu, f.split?.kind ?? null, f.split?.index ?? 0, f.split?.parts ?? 1]));
}

/** One strategy at one SLO step: its plan, or why it has none (a model that does not fit the platform at all). */
export interface PlannedCell { step: number; sloMs: number; strategy: string; plan?: Plan; error?: string }

function tryPlan(profile: Profile, platform: string, strategy: string, sloMs: number | undefined, graph?: Graph): { plan?: Plan; error?: string } {
  try {
    return { plan: planPartition(profile, { platform, strategy, sloMs, allowSloMiss: true, graph }) };
  } catch (err) {
    if (!(err instanceof MoparError)) throw err;
    return { error: errorMessage(err).split('\n')[0]! };
  }
}

/** The SLO ladder of one model × platform and every strategy's plan at each step. */
export function planSweep(profile: Profile, platform: string, strategies: readonly string[], steps: number, graph?: Graph): { slos: number[]; cells: PlannedCell[] } {
  const fastest = strategies.map((s) => tryPlan(profile, platform, s, 1e-3, graph).plan?.predicted.latencyMs ?? Infinity);
  const lo = Math.min(...fastest);
  if (!Number.isFinite(lo)) {
    return { slos: [], cells: strategies.map((strategy) => ({ step: 0, sloMs: NaN, strategy, error: tryPlan(profile, platform, strategy, undefined, graph).error })) };
  }
  // The unsplit function's own latency at 1 vCPU (the planner's default SLO); where no single function fits the
  // platform, twice the fastest plan.
  const oneVcpu = tryPlan(profile, platform, 'unsplit', undefined, graph).plan?.sloMs ?? lo;
  const slos = sloLadder(lo, Math.max(lo, 2 * oneVcpu), steps);
  const cells: PlannedCell[] = [];
  slos.forEach((sloMs, step) => {
    for (const strategy of strategies) cells.push({ step, sloMs, strategy, ...tryPlan(profile, platform, strategy, sloMs, graph) });
  });
  return { slos, cells };
}

/**
 * The most any split can save under the platform's rules: the physical unsplit function ÷ the floor of a split,
 * which has at least two functions, each paying a request fee and at least one billing granule — one of them at a
 * configuration that holds the heaviest layer (spread as far as its splits allow), the other at the smallest.
 * Infinity when the unsplit function does not fit the platform at all.
 */
export function splitBoundRatio(profile: Profile, platform: Platform): number {
  let whole;
  try { whole = physicalFloor(profile, platform, { whole: true }); } catch { return Infinity; }
  const split = physicalFloor(profile, platform);
  return whole.usd / (Math.max(split.workUSD, split.heaviestGranuleUSD + split.granuleUSD) + 2 * platform.price.perRequest);
}

export async function runSweep(opts: SweepOptions): Promise<SweepReport> {
  const models = parseModels(opts.models ?? (opts.quick ? QUICK_SWEEP_MODELS : zooModels().map((m) => m.name)));
  const platforms = opts.platforms ?? (opts.quick ? QUICK_SWEEP_PLATFORMS : PLATFORMS.map((p) => p.id));
  const strategies = opts.strategies ?? DEFAULT_STRATEGIES;
  for (const p of platforms) getPlatform(p);
  for (const s of strategies) parseStrategy(s);
  const steps = opts.steps ?? (opts.quick ? 2 : 6);
  if (!Number.isInteger(steps) || steps < 1) throw new MoparError(`--steps must be a whole number ≥ 1, got ${steps}`);
  const warm = opts.warmRequests ?? (opts.quick ? 6 : 20);
  const coldN = opts.coldRequests ?? (opts.quick ? 0 : 1);
  for (const d of ['models', 'profiles', 'work']) mkdirSync(join(opts.out, d), { recursive: true });
  const startedAt = new Date().toISOString();
  const load0 = (await import('node:os')).loadavg()[0]!;
  const rows: SweepRow[] = [];
  const controls: BenchRow[] = [];
  const splitBound: SplitBound[] = [];
  const memory: MemoryTrack[] = [];
  for (const m of models) {
    const modelPath = join(opts.out, 'models', `${m.key}.onnx`);
    if (!existsSync(modelPath)) writeZooModel(m.name, modelPath, { tiny: m.tiny });
    const { profile, graph } = await benchProfile(modelPath, join(opts.out, 'profiles', `${m.key}.json`), m.tiny);
    for (const platformId of platforms) {
      const platform = getPlatform(platformId);
      log(`sweep: ${m.key} × ${platformId}`);
      const mine = await sweepOne(m, modelPath, profile, graph, platform, strategies, steps, join(opts.out, 'work'), warm, coldN, controls, memory);
      rows.push(...mine);
      const at = (s: string) => mine.find((r) => r.step === steps - 1 && r.strategy === s && r.measured)?.measured?.costPerMillionUSD;
      const u = at('unsplit');
      const mo = at('mopar');
      splitBound.push({ model: m.key, platform: platformId, boundRatio: splitBoundRatio(profile, platform), measuredRatio: u && mo ? u / mo : null });
    }
  }
  const load1 = (await import('node:os')).loadavg()[0]!;
  return {
    kind: 'mopar.bench', version: 1, mode: 'sweep', startedAt, finishedAt: new Date().toISOString(), machine: machineInfo(),
    loadAverage: [load0, load1],
    config: { models: models.map((m) => m.key), platforms, strategies, quick: !!opts.quick, steps, warmRequests: warm, warmBlock: WARM_BLOCK, coldRequests: coldN },
    sweep: rows, splitBound, memory, noise: noiseFloor(controls),
  };
}

async function sweepOne(m: ModelRef, modelPath: string, profile: Profile, graph: Graph, platform: Platform, strategies: readonly string[],
  steps: number, workDir: string, warm: number, coldN: number, controls: BenchRow[], memory: MemoryTrack[]): Promise<SweepRow[]> {
  let floor = NaN;
  try { floor = physicalFloor(profile, platform).perMillionUSD; } catch { /* a layer alone exceeds the platform: no floor */ }
  const { cells } = planSweep(profile, platform.id, strategies, steps, graph);
  const drawn = cells.filter((c) => c.strategy === 'mopar' && c.plan).sort((a, b) => b.step - a.step)[0];
  memory.push({ ...memoryTrack(profile, platform.id, drawn?.plan, drawn?.step ?? null), model: m.key });
  // Unique deployments among the feasible cells, in order of first appearance.
  const keys: string[] = [];
  const plans: Plan[] = [];
  const deploymentOf = cells.map((c) => {
    if (!c.plan?.sloMet) return null;
    const k = deploymentKey(c.plan);
    let i = keys.indexOf(k);
    if (i < 0) { i = keys.length; keys.push(k); plans.push(c.plan); }
    return i;
  });
  const dirs = plans.map((_, i) => join(workDir, `${m.key}__${platform.id}__d${i}`));
  const built: Array<{ ok: boolean; maxRelErr: number; error?: string }> = [];
  let measured: Array<Measured | undefined> = [];
  let load: MachineLoad | undefined;
  let coldLoad: MachineLoad | undefined;
  try {
    for (let i = 0; i < plans.length; i++) {
      rmSync(dirs[i]!, { recursive: true, force: true });
      try {
        await buildPartition(modelPath, plans[i]!, dirs[i]!);
        const v = await verifyPartition(modelPath, dirs[i]!, { runs: 2, seed: 11 });
        built.push({ ok: v.ok, maxRelErr: v.maxRelErr, ...(v.ok ? {} : { error: 'does not reproduce the unsplit outputs' }) });
      } catch (err) {
        built.push({ ok: false, maxRelErr: NaN, error: errorMessage(err).split('\n')[0]! });
      }
    }
    const good = built.map((b) => b.ok);
    const group = await measureInterleaved(dirs, good, platform, warm, coldN);
    measured = group.measured;
    load = group.load;
    coldLoad = group.coldLoad;
    // The control: deployment 0 served twice (the second copy measured as `n`), rows for noiseFloor.
    const ctl = measured[plans.length];
    if (measured[0]?.requests && ctl?.requests) {
      for (const x of [measured[0], ctl]) {
        controls.push(controlRow(m.key, platform.id, x));
      }
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return cells.map((c, i): SweepRow => {
    const d = deploymentOf[i]!;
    const base: SweepRow = {
      model: m.key, platform: platform.id, step: c.step, sloMs: round(c.sloMs), strategy: c.strategy,
      feasible: false, predictedSloMet: !!c.plan?.sloMet, measuredSloMet: null,
      functions: c.plan?.functions.length ?? 0, subSlices: c.plan ? subSlices(c.plan) : 0, deployment: d,
      ...(c.plan ? { maxVcpu: Math.max(...c.plan.functions.map((f) => f.vcpu)) } : {}),
      predicted: { latencyMs: c.plan?.predicted.latencyMs ?? NaN, p50Ms: c.plan?.predicted.latencyMs ?? NaN, p99Ms: null, costPerMillionUSD: c.plan?.predicted.costPerMillionUSD ?? NaN,
        ...(c.plan ? { servedHereMs: servedHere(c.plan).latencyMs } : {}) },
      measured: null, floorPerMillionUSD: floor, ...(load ? { load } : {}), ...(coldLoad ? { coldLoad } : {}), ...(c.error ? { error: c.error } : {}),
    };
    if (d === null) return base;
    const b = built[d]!;
    const x = measured[d];
    if (x && x.requests === 0) return { ...base, verify: { ok: b.ok, maxRelErr: b.maxRelErr }, error: `not measured: ${x.firstError}` };
    const met = x && b.ok ? measuredMeets(x.p50Ms, c.sloMs) : null;
    return {
      ...base, verify: { ok: b.ok, maxRelErr: b.maxRelErr }, feasible: met === true, measuredSloMet: met,
      measured: x ? { costPerMillionUSD: x.costPerMillionUSD, p50Ms: x.p50Ms, p95Ms: x.p95Ms, p99Ms: x.p99Ms, coldStartMs: x.coldStartMs, requests: x.requests, errors: x.errors,
        ...(x.billedFrom ? { billedFrom: x.billedFrom } : {}), measuredAs: x.measuredAs, ...(x.composition ? { composition: x.composition } : {}) } : null,
      ...(b.error ? { error: b.error } : !x ? { error: 'not measured' } : x.firstError ? { error: `${x.errors} request(s) failed: ${x.firstError}` } : {}),
    };
  });
}

function subSlices(plan: Plan): number {
  const size = new Map<string, number>();
  for (const f of plan.functions) size.set(f.group, (size.get(f.group) ?? 0) + 1);
  return plan.functions.filter((f) => (size.get(f.group) ?? 0) > 1).length;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The percentile a sweep cell's SLO is judged at: the plans promise one request's latency, i.e. the median. */
export const SLO_PERCENTILE = 50;

/** A cell meets its SLO when its measured p50 does (a plan's prediction alone never makes a cell feasible). */
export function measuredMeets(p50Ms: number, sloMs: number): boolean {
  return Number.isFinite(p50Ms) && p50Ms <= sloMs;
}

/** A bench row for one copy of the control deployment (noiseFloor compares rows that deployed the same functions). */
function controlRow(model: string, platform: string, x: Measured): BenchRow {
  return {
    model, category: '', tiny: false, platform, strategy: 'control', functions: x.fns.length, subSlices: 0, planMs: 0, sloMs: NaN,
    verify: { ok: true, maxRelErr: 0, maxAbsErr: 0 }, predicted: { latencyMs: NaN, costPerMillionUSD: NaN, efficiency: NaN },
    measured: { requests: x.requests, errors: x.errors, p50Ms: x.p50Ms, p95Ms: x.p95Ms, coldStartMs: NaN, costPerMillionUSD: x.costPerMillionUSD,
      efficiency: NaN, commShare: NaN, functions: x.fns },
  };
}

export function writeSweepJson(out: string, report: SweepReport): void {
  writeFileSync(join(out, 'sweep.json'), `${JSON.stringify(report, null, 2)}\n`);
}
