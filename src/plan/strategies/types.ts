/** What every strategy receives and returns; strategies differ only in the choices they are allowed. */
import type { CostContext } from '../cost-model.js';
import type { DpResult } from '../dp.js';
import type { Unit } from '../units.js';

export interface StrategyEnv {
  /** Cost context over the (possibly merged) units the DP cuts between. */
  ctx: CostContext;
  /** The same model over the profile's own layers, one unit each (for layer-granular baselines). */
  layerCtx(): CostContext;
  sloMs: number;
  /** Return the fastest plan flagged `sloMet: false` instead of throwing when the SLO cannot be met. */
  allowSloMiss: boolean;
  /** A readable name for profile layer i (its first node). */
  layerName(i: number): string;
  /** The K of `uniform:K`. */
  arg?: number;
  /** What `uniform:K` balances: reference latency (default) or weights (the cold-start search). */
  balance?: 'ms' | 'weights';
  /** Most weights per function (mopar; the cold-start search): see ModelOptions.maxPartWeightsMB. */
  maxPartWeightsMB?: number;
  /** Fewest vCPU per function (the cold-start search): see ModelOptions.minVcpu. */
  minVcpu?: number;
}

export interface StrategyOutcome { result: DpResult; units: Unit[]; sloMet: boolean; notes: string[] }
export type Strategy = (env: StrategyEnv) => StrategyOutcome;
