/** What a function pool's callers pass in and hear back (pool.ts). */
import type { FunctionInstance } from './instance.js';

export type SpawnReason = 'demand' | 'request' | 'policy' | 'serve';

/** What one call brings besides its tensors. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  admitted?: boolean;
  /** Absolute deadline of the request (performance.now() ms): the queue serves earlier deadlines first. */
  deadline?: number;
  /** Latest start (performance.now() ms) from which the rest of the chain can still meet the deadline; later: shed. */
  latestStart?: number;
  /** The rest of the chain's predicted time from this call on (for the shed message). */
  neededMs?: number;
}

export interface PoolEvents {
  /** An instance process was started (before it loaded anything). */
  spawned?(fn: string, inst: FunctionInstance, reason: SpawnReason): void;
  coldStart?(fn: string, inst: FunctionInstance): void;
  /** A call got its instance after waiting `waitMs` (0 when one was free). */
  acquired?(fn: string, waitMs: number): void;
  crash?(fn: string, inst: FunctionInstance): void;
}
