/**
 * Binds the cost model to the DP: one cached option list per segment, for one strategy's modelling choices,
 * plus the diagnosis of why nothing fits (a bound that failed, in words a person can act on).
 */
import { MoparError } from '../core/index.js';
import { memoryNeedMB, pareto, segmentOptions, type CostContext, type ModelOptions, type SegmentOption } from './cost-model.js';
import { minLatency, type DpProblem } from './dp.js';
import { orchestrationRate } from './orchestration.js';

/**
 * The DP's problem: each segment's options, and on every option of a plan of more than one function the entry
 * (and workflow) that such a deployment runs for the whole request (orchestration.ts, linear form): each segment
 * pays the rate over its own latency, the segment at unit 0 also the fees and the request's time outside the
 * functions (`ctx.requestExtraMs`), so that a chain's sum is the entry's bill. The whole model as one function
 * has no entry and pays none of it.
 */
export function makeProblem(ctx: CostContext, opts: ModelOptions, fixedCuts?: ReadonlySet<number>): DpProblem {
  const n = ctx.units.length;
  const cache = new Map<number, readonly SegmentOption[]>();
  const rate = orchestrationRate(ctx.platform);
  const withEntry = (os: readonly SegmentOption[], a: number, b: number): SegmentOption[] => pareto(os.map((o) => {
    if (a === 0 && b === n - 1 && o.parts === 1) return o;
    const usd = rate.usdPerMs * o.latencyMs + (a === 0 ? rate.fixedUSD + rate.usdPerMs * ctx.requestExtraMs : 0);
    return { ...o, costUSD: o.costUSD + usd, orchestrationUSD: usd };
  }));
  return {
    n,
    fixedCuts,
    options(a, b) {
      const key = a * n + b;
      let o = cache.get(key);
      if (!o) { o = withEntry(segmentOptions(ctx, a, b, opts), a, b); cache.set(key, o); }
      return o;
    },
  };
}

/** Throws the MoparError that says which bound made `problem` infeasible under `sloMs`. */
export function explainInfeasible(ctx: CostContext, problem: DpProblem, strategy: string, sloMs: number, layerNames: (first: number) => string): never {
  const p = ctx.platform;
  const fastest = minLatency(problem);
  if (fastest) {
    // sloMs is the functions' budget: the request's own overhead (ctx.requestExtraMs) comes on top, as the user sees it.
    const slo = sloMs + ctx.requestExtraMs;
    const fastestMs = fastest.latencyMs + ctx.requestExtraMs;
    throw new MoparError(`no '${strategy}' plan meets the latency SLO of ${slo.toFixed(1)} ms on ${p.id}: `
      + `the fastest takes ${fastestMs.toFixed(1)} ms (raise --slo-ms to at least ${Math.ceil(fastestMs)})`);
  }
  for (let i = 0; i < ctx.units.length; i++) {
    if (problem.options(i, i).length > 0) continue;
    const u = ctx.units[i]!;
    const need = memoryNeedMB(ctx, u.paramMB, u.peakActivationMB, 0);
    if (need > p.memory.maxMB) {
      throw new MoparError(`layer ${u.first}${u.last > u.first ? `–${u.last}` : ''} (${layerNames(u.first)}) needs `
        + `${Math.ceil(need)} MB, over ${p.id}'s maximum of ${p.memory.maxMB} MB per function`);
    }
    if (u.paramMB + p.limits.runtimePackageMB > p.limits.packageMB) {
      throw new MoparError(`layer ${u.first} (${layerNames(u.first)}) has ${u.paramMB.toFixed(0)} MB of weights: with the `
        + `${p.limits.runtimePackageMB} MB runtime, over ${p.id}'s package limit of ${p.limits.packageMB} MB`);
    }
  }
  throw new MoparError(`no '${strategy}' plan fits ${p.id}'s limits (memory ≤ ${p.memory.maxMB} MB, payload `
    + `${p.limits.payloadMB ?? 'unlimited'} MB, timeout ${p.limits.timeoutMs / 1000} s, package ${p.limits.packageMB} MB)`);
}
