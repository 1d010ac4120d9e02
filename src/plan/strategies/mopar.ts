/**
 * `mopar` — MOPAR (arXiv 2404.02445): vertical slices of consecutive layers, each a right-sized function;
 * slices of RD operators split into parallel sub-slices; hand-offs compressed or through shared memory.
 * Deviations from the paper: MOPAR groups layers by a resource-similarity heuristic and then sizes them; we
 * choose the cuts, each slice's configuration and its parallel degree k jointly by an exact DP for minimum cost
 * per request under the latency SLO (similar layers end up together because memory is billed at the slice's
 * peak), and show the similarity vector of each slice instead of using it as the criterion.
 */
import { TRANSPORTS } from '../transports/index.js';
import { cheapestUnderSlo } from './solve.js';
import type { Strategy } from './types.js';

export const mopar: Strategy = (env) => cheapestUnderSlo(env, 'mopar', env.ctx, {
  horizontal: true, transports: TRANSPORTS, ...(env.maxPartWeightsMB !== undefined ? { maxPartWeightsMB: env.maxPartWeightsMB } : {}),
  ...(env.minVcpu !== undefined ? { minVcpu: env.minVcpu } : {}),
});
