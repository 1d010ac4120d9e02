/**
 * `uniform:K` — K slices of (as near as unit boundaries allow) equal reference latency, each then given its
 * cheapest configuration under the SLO. A naive baseline: cuts ignore memory and transfer sizes.
 */
import { MoparError } from '../../core/index.js';
import { TRANSPORTS } from '../transports/index.js';
import { cheapestUnderSlo } from './solve.js';
import type { Strategy } from './types.js';

export const uniform: Strategy = (env) => {
  const k = env.arg ?? 0;
  const by = env.balance ?? 'ms';
  const ctx = env.ctx.units.length >= k ? env.ctx : env.layerCtx();
  const n = ctx.units.length;
  if (!Number.isInteger(k) || k < 1) throw new MoparError(`uniform:K needs an integer K ≥ 1, got '${env.arg}'`);
  if (k > n) throw new MoparError(`uniform:${k} asks for more slices than the model has layers (${n})`);
  // By weights (a cold-start search, plan-partition.ts): slices that fetch and load about equally long.
  const size = (u: (typeof ctx.units)[number]) => (by === 'weights' ? u.paramMB : u.ms);
  const total = ctx.units.reduce((s, u) => s + size(u), 0);
  const cuts = new Set<number>();
  let acc = 0;
  let t = 1;
  for (let i = 0; i < n - 1 && cuts.size < k - 1; i++) {
    acc += size(ctx.units[i]!);
    // Leave at least one unit for each slice still to come.
    const mustCut = n - 1 - i <= k - 1 - cuts.size;
    if (acc >= total * t / k - 1e-12 || mustCut) { cuts.add(i); t++; }
  }
  // Weight-balanced slices may also split a slice into parts that each hold a share of its weights.
  return cheapestUnderSlo(env, `uniform:${k}`, ctx, { horizontal: by === 'weights', transports: TRANSPORTS }, cuts);
};
