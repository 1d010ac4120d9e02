/**
 * `unsplit` — the whole model as one function: the reference every other plan is compared with. Its
 * configuration is the cheapest one that meets the SLO (the same objective as the others).
 */
import { TRANSPORTS } from '../transports/index.js';
import { cheapestUnderSlo } from './solve.js';
import type { Strategy } from './types.js';

export const unsplit: Strategy = (env) =>
  cheapestUnderSlo(env, 'unsplit', env.ctx, { horizontal: false, transports: TRANSPORTS }, new Set<number>());
