/**
 * Hand-off of the tensors crossing one cut: how they travel (one file per transport here), what that adds to
 * latency, to billed time and to the bill. The cheapest-in-latency transport that fits the platform is chosen.
 * A new transport is its own file plus a line in MODELS (and its name in plan/types.ts `Transport`).
 */
import type { Platform } from '../platforms.js';
import type { Transport } from '../types.js';
import { compressed } from './compressed.js';
import { inline } from './inline.js';
import { objectStore } from './object-store.js';
import { shm } from './shm.js';
import type { HandOff, HandOffCase, TransportModel } from './types.js';

export type { Transport };
export type { HandOff, TransportModel } from './types.js';
export { COMPRESSION } from './compressed.js';
export { STATE_INLINE_LIMIT_BYTES } from './inline.js';

const MODELS: Readonly<Record<Transport, TransportModel>> = { shm, inline, compressed, 'object-store': objectStore };

/** Every transport, in the order the planner offers them (ties keep the earlier one). */
export const TRANSPORTS: readonly Transport[] = ['shm', 'inline', 'compressed', 'object-store'];

const MB = 1024 * 1024;

/**
 * `bytes` go to each of `fanOut` consumers (a parallel group receives its input once per part).
 * `overhead` = false for the model's own input, whose first invocation every plan pays alike.
 */
export function handOff(p: Platform, bytes: number, fanOut: number, allowed: readonly Transport[] = TRANSPORTS,
  overhead = true): HandOff | undefined {
  const c = handOffCase(p, bytes, fanOut, overhead);
  let best: HandOff | undefined;
  for (const t of allowed) {
    const h = MODELS[t].cost(c);
    if (h && (!best || h.latencyMs < best.latencyMs || (h.latencyMs === best.latencyMs && h.usd < best.usd))) best = h;
  }
  if (bytes === 0) return { transport: 'inline', latencyMs: c.hopMs, producerBilledMs: 0, consumerBilledMs: 0, usd: 0 };
  return best;
}

/**
 * The hand-off of `bytes` to each of `fanOut` consumers by transport `t` alone (handOff's arguments), or undefined
 * where the platform cannot carry it: e.g. a plan's cuts re-priced as another runtime performs them.
 */
export function transportHandOff(t: Transport, p: Platform, bytes: number, fanOut: number, overhead = true): HandOff | undefined {
  return MODELS[t].cost(handOffCase(p, bytes, fanOut, overhead));
}

function handOffCase(p: Platform, bytes: number, fanOut: number, overhead: boolean): HandOffCase {
  return { p, mb: bytes / MB, fanOut, overhead, hopMs: overhead ? p.hop.overheadMs : 0 };
}
