/** Shared by strategies: cost-minimal under the SLO, or (when allowed) the fastest plan flagged as missing it. */
import type { CostContext, ModelOptions } from '../cost-model.js';
import { minCostUnderSlo, minLatency, SLO_TOLERANCE_MS } from '../dp.js';
import { explainInfeasible, makeProblem } from '../problem.js';
import type { StrategyEnv, StrategyOutcome } from './types.js';

export function cheapestUnderSlo(env: StrategyEnv, name: string, ctx: CostContext, opts: ModelOptions,
  fixedCuts?: ReadonlySet<number>): StrategyOutcome {
  const problem = makeProblem(ctx, opts, fixedCuts);
  const result = minCostUnderSlo(problem, env.sloMs);
  if (result) return { result, units: ctx.units, sloMet: true, notes: [] };
  return fastest(env, name, ctx, opts, fixedCuts);
}

export function fastest(env: StrategyEnv, name: string, ctx: CostContext, opts: ModelOptions,
  fixedCuts?: ReadonlySet<number>): StrategyOutcome {
  const problem = makeProblem(ctx, opts, fixedCuts);
  const result = minLatency(problem);
  if (result && result.latencyMs <= env.sloMs + SLO_TOLERANCE_MS) return { result, units: ctx.units, sloMet: true, notes: [] };
  if (result && env.allowSloMiss) {
    return { result, units: ctx.units, sloMet: false,
      notes: [`'${name}' cannot meet the SLO of ${env.sloMs.toFixed(1)} ms; this is its fastest plan`] };
  }
  return explainInfeasible(ctx, problem, name, env.sloMs, env.layerName);
}
