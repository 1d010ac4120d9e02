/** planPartition: a profile and a platform → the plan (the chosen strategy's functions, predicted latency and cost, and the unsplit comparison). */
import { performance } from 'node:perf_hooks';
import { MoparError } from '../core/index.js';
import type { Profile } from '../profile/index.js';
import type { Plan } from './types.js';
import { getPlatform } from './platforms.js';
import { computeMs, makeContext, type CostContext, type SegmentOption } from './cost-model.js';
import { sustainedLatency } from './quota-model.js';
import { SLO_TOLERANCE_MS } from './dp.js';
import { checkProfile, normalisedLayerMs, unitsOf } from './units.js';
import { parseStrategy, type StrategyEnv, type StrategyOutcome } from './strategies/index.js';
import { unsplit as unsplitStrategy } from './strategies/unsplit.js';
import { assemble, round } from './assemble.js';
import { compareAlternatives } from './alternatives.js';
import { rangeText, type Graph, type InputRanges } from '../graph/index.js';
import { coldFunctions, coldLatency, FETCH_MBPS_PER_VCPU } from './cold-start.js';
import type { Platform } from './platforms.js';
import { orchestrationUSD } from './orchestration.js';

export interface PlanOptions {
  platform: string;
  /** mopar (default), unsplit, uniform:K, layerwise, gillis, amps. */
  strategy?: string;
  sloMs?: number;
  /** Return the strategy's fastest plan with `sloMet: false` instead of throwing when it cannot meet the SLO. */
  allowSloMiss?: boolean;
  /**
   * The profiled model's graph with concrete shapes at the profile's input shapes (`openModel(path,
   * profile.inputShapes)`): horizontal splits of multi-layer runs are then charged their measured recomputation
   * instead of a worst-case bound (see split-work.ts).
   */
  graph?: Graph;
  /** Also plan every other strategy at the same SLO: fills `alternatives` and `why` (costs a few more plans). */
  alternatives?: boolean;
  /**
   * Latency bound of the first request after idle (docs/cold-starts.md), ms. A plan whose cold latency misses it
   * is rejected; the mopar strategy then also tries its own plans at tighter warm SLOs and uniform:2–8 cuts
   * (more, smaller slices fetch and load in parallel) and keeps the cheapest that meets both bounds.
   */
  coldSloMs?: number;
  /** Internal (the cold-start search): cut uniform:K by weights instead of latency. */
  balance?: 'ms' | 'weights';
  /** Internal (the cold-start search): most weights per function, MB. */
  maxPartWeightsMB?: number;
  /** Internal (the cold-start search): fewest vCPU per function. */
  minVcpu?: number;
  /**
   * The largest batch (leading dim of the model's inputs) a request may carry, for a model whose batch dim is
   * dynamic (the caller knows; partitionModel checks the graph): every function's memory is sized for it and
   * the plan records it (`maxBatch`). Absent: sized for the profile's input shapes, as a fixed-batch model is.
   */
  maxBatch?: number;
}

/**
 * The max batch `plan`/`partition` size a dynamic-batch model for unless told (`--max-batch`). 8: the largest
 * size the batch profile measures by default (profile/batch.ts), and small enough that a function's activations
 * (8× batch 1) and the default request body limit (8 rows of JSON values, where 64 took MobileNetV3 bodies to
 * 617 MB) stay modest; models that need bigger batches say so.
 */
export const DEFAULT_MAX_BATCH = 8;

/** The batch the profile was measured at: the leading dim of its inputs (1 when it has none). */
export function profiledBatch(profile: Pick<Profile, 'inputShapes'>): number {
  const lead = Object.values(profile.inputShapes ?? {}).map((d) => d[0] ?? 1);
  return lead.length > 0 ? Math.max(1, ...lead) : 1;
}

/** Tighter warm SLOs (× the asked one) and uniform cuts the mopar strategy tries to meet a cold SLO. */
const COLD_SLO_TIGHTEN = [0.85, 0.7, 0.55, 0.4, 0.3];
const COLD_UNIFORM_K = [2, 3, 4, 5, 6, 8];
const WEIGHTS_NOTE = 'slices balanced by weights';
const CAP_NOTE = 'at most';

export function planPartition(profile: Profile, opts: PlanOptions): Plan {
  const t0 = performance.now();
  if (opts.coldSloMs !== undefined && !(opts.coldSloMs > 0 && Number.isFinite(opts.coldSloMs))) {
    throw new MoparError(`--cold-slo-ms must be a positive number of milliseconds, got ${opts.coldSloMs}`);
  }
  const first = planOnce(profile, opts);
  if (opts.coldSloMs === undefined || first.coldSloMet !== false) return withAlternatives(first, profile, opts, t0);
  const coldSlo = opts.coldSloMs;
  const tried: Plan[] = [first];
  if (first.strategy === 'mopar') {
    const retry = (o: Partial<PlanOptions>) => {
      try {
        tried.push(planOnce(profile, { ...opts, ...o, allowSloMiss: false, alternatives: false }));
      } catch (err) {
        if (!(err instanceof MoparError)) throw err; // no plan of that shape meets the warm SLO
      }
    };
    // Every function holding at most 1/K of the weights: heavy layers are cut apart or split into parts that
    // each hold a share, all fetched and loaded side by side.
    for (const k of COLD_UNIFORM_K) retry({ sloMs: first.sloMs, maxPartWeightsMB: profile.memory.weightsMB / k });
    // The same with every function at the vCPU that fetches at the stream's rate (a smaller quota fetches slower).
    const fetchVcpu = getPlatform(opts.platform).objectStore.bandwidthMBps / FETCH_MBPS_PER_VCPU;
    for (const k of COLD_UNIFORM_K) retry({ sloMs: first.sloMs, maxPartWeightsMB: profile.memory.weightsMB / k, minVcpu: fetchVcpu });
    for (const f of COLD_SLO_TIGHTEN) retry({ sloMs: first.sloMs * f });
    for (const k of COLD_UNIFORM_K) {
      retry({ strategy: `uniform:${k}`, sloMs: first.sloMs });
      retry({ strategy: `uniform:${k}`, sloMs: first.sloMs, balance: 'weights' });
    }
  }
  const meeting = tried.filter((p) => p.coldSloMet && p.sloMet !== false)
    .sort((a, b) => a.predicted.costPerMillionUSD - b.predicted.costPerMillionUSD || a.predicted.coldLatencyMs! - b.predicted.coldLatencyMs!);
  const best = meeting[0];
  const fastest = [...tried].sort((a, b) => a.predicted.coldLatencyMs! - b.predicted.coldLatencyMs!)[0]!;
  if (!best) {
    const msg = `no ${first.strategy} plan meets --cold-slo-ms ${coldSlo}: the fastest first request after idle takes `
      + `${fastest.predicted.coldLatencyMs!.toFixed(0)} ms (${fastest.strategy}, ${fastest.functions.length} function(s); the unsplit function ${first.unsplit.coldLatencyMs?.toFixed(0)} ms)`;
    if (!opts.allowSloMiss) throw new MoparError(msg);
    fastest.notes = [...(fastest.notes ?? []), msg];
    return withAlternatives(fastest, profile, opts, t0);
  }
  // The warm SLO of the plan is the one asked for, whichever candidate met both; the search is mopar's.
  best.sloMs = first.sloMs;
  if (best !== first) {
    const how = best.strategy.startsWith('uniform:') ? `${best.functions.length} functions cut as ${best.strategy}${best.notes?.includes(WEIGHTS_NOTE) ? ' by weights' : ''}`
      : best.notes?.some((n) => n.startsWith(CAP_NOTE)) ? `${best.functions.length} functions, ${best.notes.find((n) => n.startsWith(CAP_NOTE))}`
        : `${best.functions.length} functions, planned at a tighter warm SLO`;
    best.notes = [...(best.notes ?? []).filter((n) => n !== WEIGHTS_NOTE && !n.startsWith(CAP_NOTE)), `its cheapest plan takes ${first.predicted.coldLatencyMs!.toFixed(0)} ms on a cold request, over `
      + `--cold-slo-ms ${coldSlo}; this one (${how}) loads its slices in parallel and meets it`];
    best.strategy = first.strategy;
  }
  return withAlternatives(best, profile, opts, t0);
}

function withAlternatives(plan: Plan, profile: Profile, opts: PlanOptions, t0: number): Plan {
  plan.planMs = round(performance.now() - t0, 2);
  if (!opts.alternatives) return plan;
  const { alternatives, why, unavailable } = compareAlternatives(plan, (strategy) => planOnce(profile, {
    ...opts, strategy, sloMs: plan.sloMs, allowSloMiss: true, alternatives: false,
  }));
  plan.alternatives = alternatives;
  const doubt = profileDoubt(profile);
  plan.why = doubt ? `${why} — but ${doubt}` : why;
  for (const u of unavailable) plan.notes = [...(plan.notes ?? []), `strategy ${u.strategy} has no plan here: ${u.reason}`];
  plan.planMs = round(performance.now() - t0, 2);
  return plan;
}

/** The cold-request figures of a plan (docs/cold-starts.md) added to its record. */
function addColdLatency(plan: Plan, platform: Platform, weightsMB: number, coldSloMs?: number): void {
  const cold = coldLatency(platform, coldFunctions(plan.functions));
  // The recurrence reproduces the warm latency; its difference is what cold starts add to it.
  plan.predicted.coldLatencyMs = round(plan.predicted.latencyMs + cold.proactiveMs - cold.warmMs, 3);
  plan.predicted.coldReactiveMs = round(plan.predicted.latencyMs + cold.reactiveMs - cold.warmMs, 3);
  for (const f of plan.functions) f.predicted.coldStartMs = round(cold.perFunction[f.name]!, 3);
  if (Number.isFinite(plan.unsplit.latencyMs)) {
    const one = coldLatency(platform, [{ name: 'unsplit', group: 'unsplit', ms: plan.unsplit.latencyMs - platform.hop.invokeMs, handInMs: 0, weightsMB, vcpu: plan.unsplit.vcpu }]);
    plan.unsplit.coldLatencyMs = round(plan.unsplit.latencyMs + one.proactiveMs - one.warmMs, 3);
  }
  if (coldSloMs !== undefined) {
    plan.coldSloMs = coldSloMs;
    plan.coldSloMet = plan.predicted.coldLatencyMs <= coldSloMs;
  }
}

function planOnce(profile: Profile, opts: PlanOptions): Plan {
  const t0 = performance.now();
  checkProfile(profile);
  const platform = getPlatform(opts.platform);
  const spec = parseStrategy(opts.strategy ?? 'mopar');
  if (opts.sloMs !== undefined && !(opts.sloMs > 0 && Number.isFinite(opts.sloMs))) {
    throw new MoparError(`--slo-ms must be a positive number of milliseconds, got ${opts.sloMs}`);
  }
  if (opts.graph) checkGraph(profile, opts.graph);
  const memBatch = memoryBatch(profile, opts.maxBatch);
  const layerMs = normalisedLayerMs(profile);
  const ctx = makeContext(profile, platform, unitsOf(profile.layers, layerMs), opts.graph, memBatch);
  let layerCtx: CostContext | undefined;
  const total = layerMs.reduce((a, b) => a + b, 0);
  // The default SLO is the unsplit model served at 1 vCPU, the request's own overhead included (as every plan's
  // predicted latency includes it); strategies fit the functions into the SLO less that overhead.
  const requestExtra = ctx.requestExtraMs;
  const sloMs = opts.sloMs ?? computeMs(ctx, total, 1) + ctx.invokeMs + requestExtra;
  const env: StrategyEnv = {
    ctx,
    layerCtx: () => (layerCtx ??= ctx.units.length === profile.layers.length ? ctx
      : makeContext(profile, platform, unitsOf(profile.layers, layerMs, profile.layers.map((_, i) => i)), opts.graph, memBatch)),
    sloMs: Math.max(1e-6, sloMs - requestExtra),
    allowSloMiss: opts.allowSloMiss ?? false,
    layerName: (i) => profile.layers[i]?.nodes[0] ?? `#${i}`,
    arg: spec.arg,
    balance: opts.balance,
    maxPartWeightsMB: opts.maxPartWeightsMB,
    minVcpu: opts.minVcpu,
  };
  if (opts.sloMs !== undefined && opts.sloMs <= requestExtra && !env.allowSloMiss) {
    throw new MoparError(`--slo-ms ${opts.sloMs} is below what a request costs before any function runs here (${requestExtra.toFixed(1)} ms of measured request overhead): no plan can meet it`);
  }
  const out = spec.strategy(env);
  const usedCtx = out.units === ctx.units ? ctx : env.layerCtx();
  const asm = assemble(profile, usedCtx, out.units, layerMs, out.result.segments);
  const served = servedLatency(requestExtra, out.result.segments);
  const cost = planCost(platform, out.result.segments, served.p50);
  const base = unsplitComparison(env, requestExtra);
  const notes = [...out.notes];
  if (ctx.units.length < profile.layers.length && out.units === ctx.units) {
    notes.push(`${profile.layers.length} layers merged into ${ctx.units.length} cut candidates to bound planning time`);
  }
  const plan: Plan = {
    kind: 'mopar.plan',
    version: 1,
    model: profile.model,
    modelHash: profile.modelHash,
    inputShapes: profile.inputShapes,
    ...(profile.inputRanges ? { inputRanges: profile.inputRanges } : {}),
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    strategy: spec.name,
    platform: platform.id,
    sloMs: round(sloMs, 3),
    functions: asm.functions,
    edges: asm.edges,
    predicted: {
      latencyMs: round(served.p50, 3),
      p99Ms: round(served.p99, 3),
      costPerMillionUSD: round(cost.usd * 1e6, 6),
      ...(cost.entryUSD !== undefined ? { entryCostPerMillionUSD: round(cost.entryUSD * 1e6, 6) } : {}),
      // Significant digits, not decimals: a tiny model billed by 100 ms on Cloud Run is ~1e-5 efficient, not 0.
      efficiency: Number(asm.efficiency.toPrecision(4)),
    },
    unsplit: base,
    planMs: round(performance.now() - t0, 2),
    // An SLO copied from a printed plan (3 decimals) must still admit that plan, as in the DP.
    sloMet: out.sloMet && served.p50 <= sloMs + SLO_TOLERANCE_MS,
    units: out.units.length,
    ...(profile.load ? { profileLoad: profile.load } : {}),
    notes,
  };
  if (profile.inputRanges) notes.push(rangesNote(profile.inputRanges));
  if (served.p50 > served.alone + 1e-9) {
    notes.push(`a function's CPU quota cannot keep up with back-to-back requests: the median request waits for it `
      + `(${served.p50.toFixed(1)} ms, ${served.alone.toFixed(1)} ms a request alone)`);
  }
  const doubt = profileDoubt(profile);
  if (doubt) notes.push(doubt);
  if (opts.balance === 'weights') notes.push(WEIGHTS_NOTE);
  if (opts.maxPartWeightsMB !== undefined) notes.push(`${CAP_NOTE} ${opts.maxPartWeightsMB.toFixed(0)} MB of weights per function${opts.minVcpu !== undefined ? `, each at ≥ ${opts.minVcpu.toFixed(2)} vCPU to fetch at the stream's rate` : ''}`);
  addColdLatency(plan, platform, profile.memory.weightsMB, opts.coldSloMs);
  return plan;
}

/**
 * A plan's served latency: the chain of calls at their median when not kept busy (hand-offs, per-call overhead,
 * the request's own overhead `extraMs`), unless a fractional quota bounds one client's back-to-back requests
 * (quota-model.ts `sustainedLatency`; the planner's per-segment figure assumed each function alone, an upper
 * bound); its p99 adds the largest per-call tail (one throttled period).
 */
function servedLatency(extraMs: number, segments: ReadonlyArray<{ opt: SegmentOption }>): { p50: number; p99: number; alone: number } {
  const alone = extraMs + segments.reduce((a, s) => a + s.opt.latencyMs - s.opt.computeMs + s.opt.aloneMs, 0);
  const fns = segments.flatMap((s) => Array.from({ length: s.opt.parts }, () => ({ fullSpeedMs: s.opt.fullSpeedMs, vcpu: s.opt.config.vcpu })));
  const p50 = sustainedLatency(alone, fns);
  return { p50, p99: p50 + Math.max(0, ...segments.map((s) => s.opt.tailMs)), alone };
}

/**
 * A plan's cost per request: its functions' (the DP's segment costs less the entry's linear share the DP added,
 * problem.ts) and, for more than one function, the entry and workflow billed exactly for the served latency
 * (orchestration.ts; `entryUSD` absent for one function, which has no entry).
 */
function planCost(p: Platform, segments: ReadonlyArray<{ opt: SegmentOption }>, latencyMs: number): { usd: number; entryUSD?: number } {
  const fns = segments.reduce((s, x) => s + x.opt.costUSD - (x.opt.orchestrationUSD ?? 0), 0);
  if (segments.reduce((k, x) => k + x.opt.parts, 0) <= 1) return { usd: fns };
  const entryUSD = orchestrationUSD(p, latencyMs);
  return { usd: fns + entryUSD, entryUSD };
}

/** The sentence a plan carries when the timings under it are doubtful (a loaded machine, a spread that did not settle). */
export function profileDoubt(profile: Profile): string | undefined {
  const why: string[] = [];
  if (profile.load?.loaded) why.push(`the machine was loaded (load average ${profile.load.loadAvg.toFixed(1)} on ${profile.load.cores} cores)`);
  if (profile.converged === false) {
    why.push(`its timings did not settle (spread ${((profile.spread ?? NaN) * 100).toFixed(0)} % after ${profile.runs} runs)`);
  }
  if (why.length === 0) return undefined;
  return `the profile is doubtful: ${why.join(' and ')}; predictions may be off — profile again on a quiet machine`;
}

/** What a plan of a model with ranged input dims assumes: the profile (and so every size) is at the top. */
function rangesNote(ranges: InputRanges): string {
  const dims = Object.entries(ranges).flatMap(([name, rs]) => rs.flatMap((r, i) => (r ? [`${name} dim ${i} ${rangeText(r)}`] : [])));
  const beyondBatch = Object.values(ranges).some((rs) => rs.some((r, i) => i > 0 && r && r[0] < r[1]));
  return `input dims vary per request (${dims.join(', ')}): hand-offs, memory and latency are planned at the top of each range `
    + `(the profiled shapes); a request outside a range is refused${beyondBatch ? '; no horizontal splits (their parts are cut at fixed sizes)' : ''}`;
}

/** How many times the profiled activations a function must hold: the max batch over the profiled batch. */
function memoryBatch(profile: Profile, maxBatch: number | undefined): number {
  if (maxBatch === undefined) return 1;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new MoparError(`--max-batch must be an integer ≥ 1, got ${maxBatch}`);
  const at = profiledBatch(profile);
  if (maxBatch < at) {
    throw new MoparError(`--max-batch ${maxBatch} is below the batch ${at} the model was profiled at (its --input shapes)`);
  }
  return maxBatch / at;
}

function checkGraph(profile: Profile, graph: Graph): void {
  for (const l of profile.layers) {
    for (const n of l.nodes) {
      if (!graph.nodeByName.has(n)) {
        throw new MoparError(`the graph given to the planner is not the profiled model '${profile.model}' (no node '${n}')`);
      }
    }
  }
}

/** The single function under the same platform model and SLO (its fastest config when it cannot meet it). */
function unsplitComparison(env: StrategyEnv, requestExtraMs: number): Plan['unsplit'] {
  let o: StrategyOutcome;
  try {
    o = unsplitStrategy({ ...env, allowSloMiss: true });
  } catch (err) {
    if (!(err instanceof MoparError)) throw err;
    // Does not fit the platform at all (memory or package): no numbers to compare with.
    return { latencyMs: NaN, costPerMillionUSD: NaN, memoryMB: NaN, vcpu: NaN, sloMet: false };
  }
  const f = o.result.segments[0]!.opt;
  return {
    latencyMs: round(o.result.latencyMs + requestExtraMs, 3),
    costPerMillionUSD: round(o.result.costUSD * 1e6, 6),
    memoryMB: f.config.memoryMB,
    vcpu: f.config.vcpu,
    sloMet: o.sloMet,
  };
}
