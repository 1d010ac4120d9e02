/** planPartition: a profile and a platform → the plan (the chosen strategy's functions, predicted latency and cost, and the unsplit comparison). */
import { performance } from 'node:perf_hooks';
import { MoparError } from '../core/index.js';
import type { Profile } from '../profile/index.js';
import type { Plan } from './types.js';
import { getPlatform } from './platforms.js';
import { computeMs, makeContext, type CostContext } from './cost-model.js';
import { checkProfile, normalisedLayerMs, unitsOf } from './units.js';
import { parseStrategy, type StrategyEnv, type StrategyOutcome } from './strategies/index.js';
import { unsplit as unsplitStrategy } from './strategies/unsplit.js';
import { assemble, round } from './assemble.js';
import { compareAlternatives } from './alternatives.js';
import type { Graph } from '../graph/index.js';

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
}

export function planPartition(profile: Profile, opts: PlanOptions): Plan {
  const t0 = performance.now();
  checkProfile(profile);
  const platform = getPlatform(opts.platform);
  const spec = parseStrategy(opts.strategy ?? 'mopar');
  if (opts.sloMs !== undefined && !(opts.sloMs > 0 && Number.isFinite(opts.sloMs))) {
    throw new MoparError(`--slo-ms must be a positive number of milliseconds, got ${opts.sloMs}`);
  }
  if (opts.graph) checkGraph(profile, opts.graph);
  const layerMs = normalisedLayerMs(profile);
  const ctx = makeContext(profile, platform, unitsOf(profile.layers, layerMs), opts.graph);
  let layerCtx: CostContext | undefined;
  const total = layerMs.reduce((a, b) => a + b, 0);
  const sloMs = opts.sloMs ?? computeMs(ctx, total, 1) + platform.hop.invokeMs;
  const env: StrategyEnv = {
    ctx,
    layerCtx: () => (layerCtx ??= ctx.units.length === profile.layers.length ? ctx
      : makeContext(profile, platform, unitsOf(profile.layers, layerMs, profile.layers.map((_, i) => i)), opts.graph)),
    sloMs,
    allowSloMiss: opts.allowSloMiss ?? false,
    layerName: (i) => profile.layers[i]?.nodes[0] ?? `#${i}`,
    arg: spec.arg,
  };
  const out = spec.strategy(env);
  const asm = assemble(profile, out.units === ctx.units ? ctx : env.layerCtx(), out.units, layerMs, out.result.segments);
  const base = unsplitComparison(env);
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
    strategy: spec.name,
    platform: platform.id,
    sloMs: round(sloMs, 3),
    functions: asm.functions,
    edges: asm.edges,
    predicted: {
      latencyMs: round(out.result.latencyMs, 3),
      costPerMillionUSD: round(out.result.costUSD * 1e6, 6),
      // Significant digits, not decimals: a tiny model billed by 100 ms on Cloud Run is ~1e-5 efficient, not 0.
      efficiency: Number(asm.efficiency.toPrecision(4)),
    },
    unsplit: base,
    planMs: round(performance.now() - t0, 2),
    sloMet: out.sloMet,
    units: out.units.length,
    ...(profile.load ? { profileLoad: profile.load } : {}),
    notes,
  };
  if (opts.alternatives) {
    const { alternatives, why, unavailable } = compareAlternatives(plan, (strategy) => planPartition(profile, {
      ...opts, strategy, sloMs: plan.sloMs, allowSloMiss: true, alternatives: false,
    }));
    plan.alternatives = alternatives;
    plan.why = why;
    for (const u of unavailable) notes.push(`strategy ${u.strategy} has no plan here: ${u.reason}`);
    plan.planMs = round(performance.now() - t0, 2);
  }
  return plan;
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
function unsplitComparison(env: StrategyEnv): Plan['unsplit'] {
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
    latencyMs: round(o.result.latencyMs, 3),
    costPerMillionUSD: round(o.result.costUSD * 1e6, 6),
    memoryMB: f.config.memoryMB,
    vcpu: f.config.vcpu,
    sloMet: o.sloMet,
  };
}
