/**
 * `amps` — after AMPS-Inf (Jarachanthan et al., ICPP 2021): vertical cuts plus a memory size per partition,
 * minimum cost under the SLO, intermediate results staged through the object store (S3 in the paper).
 * Deviations: the paper solves a MIQP over Keras layer boundaries with Lambda's memory as the only knob; we
 * solve the same objective exactly by our DP over the profile's cut points and the platform's configurations
 * (which on CPU-and-memory platforms includes vCPU), and use our latency/memory model instead of its fitted
 * regression. No horizontal splits, no compression, no shared memory — as in the paper.
 */
import { cheapestUnderSlo } from './solve.js';
import type { Strategy } from './types.js';

export const amps: Strategy = (env) => cheapestUnderSlo(env, 'amps', env.ctx, { horizontal: false, transports: ['object-store'] });
