/**
 * `layerwise` — one function per profile layer (the finest vertical split), each with its cheapest
 * configuration under the SLO. Shows what per-hop overheads cost when nothing is grouped.
 */
import { TRANSPORTS } from '../transports/index.js';
import { cheapestUnderSlo } from './solve.js';
import type { Strategy } from './types.js';

export const layerwise: Strategy = (env) => {
  const ctx = env.layerCtx();
  const cuts = new Set(ctx.units.slice(0, -1).map((_, i) => i));
  return cheapestUnderSlo(env, 'layerwise', ctx, { horizontal: false, transports: TRANSPORTS }, cuts);
};
