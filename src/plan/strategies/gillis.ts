/**
 * `gillis` — after Gillis (Yu et al., ICDCS 2021): layers grouped into functions, each group possibly
 * parallelised across several functions, chosen by a DP for minimum end-to-end latency.
 * Deviations: Gillis fixes one memory size for all functions and partitions the ops of a group by its own
 * operator-level rules; we let each group take the fastest configuration of our platform model (ties: the
 * cheapest) and use the split options of graph/split. Its SLO-aware cost-minimising mode (reinforcement
 * learning in the paper) is not reproduced: this baseline is the latency-optimal one, checked against the SLO.
 */
import { TRANSPORTS } from '../transports/index.js';
import { fastest } from './solve.js';
import type { Strategy } from './types.js';

export const gillis: Strategy = (env) => fastest(env, 'gillis', env.ctx, { horizontal: true, transports: TRANSPORTS });
