/** Strategy names → planners. `uniform:K` takes its K after the colon. */
import { MoparError } from '../../core/index.js';
import { amps } from './amps.js';
import { gillis } from './gillis.js';
import { layerwise } from './layerwise.js';
import { mopar } from './mopar.js';
import { uniform } from './uniform.js';
import { unsplit } from './unsplit.js';
import type { Strategy } from './types.js';

export type { Strategy, StrategyEnv, StrategyOutcome } from './types.js';

const TABLE: Record<string, Strategy> = { mopar, unsplit, uniform, layerwise, gillis, amps };
export const STRATEGY_NAMES = ['mopar', 'unsplit', 'uniform:K', 'layerwise', 'gillis', 'amps'] as const;

export function parseStrategy(spec: string): { name: string; strategy: Strategy; arg?: number } {
  const [name, arg, extra] = spec.split(':');
  const strategy = name ? TABLE[name] : undefined;
  if (!strategy || extra !== undefined || (name === 'uniform') !== (arg !== undefined)) {
    throw new MoparError(`unknown strategy '${spec}' (known: ${STRATEGY_NAMES.join(', ')})`);
  }
  if (name === 'uniform') {
    const k = Number(arg);
    if (!Number.isInteger(k) || k < 1) throw new MoparError(`uniform:K needs an integer K ≥ 1, got '${spec}'`);
    return { name: `uniform:${k}`, strategy, arg: k };
  }
  return { name: name!, strategy };
}
