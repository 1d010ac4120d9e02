/** One hand-off transport as the planner prices it: latency, billed time and charges of moving a cut's tensors. */
import type { Platform } from '../platforms.js';
import type { Transport } from '../types.js';

export interface HandOff {
  transport: Transport;
  /** Time on the critical path from the producer's last layer to the consumers' first. */
  latencyMs: number;
  /** Extra billed time of the producer (compress, upload) and of each consumer (decompress, download). */
  producerBilledMs: number;
  consumerBilledMs: number;
  /** Object-store request charges. */
  usd: number;
}

/** What a transport is offered: `mb` go to each of `fanOut` consumers; `hopMs` is the platform's per-call overhead (0 for the model's own input). */
export interface HandOffCase { p: Platform; mb: number; fanOut: number; overhead: boolean; hopMs: number }

export interface TransportModel {
  name: Transport;
  /** The hand-off by this transport, or undefined where the platform cannot carry it (no shared memory, over the payload limit). */
  cost(c: HandOffCase): HandOff | undefined;
}

/** Whether `mb` of payload fits the platform's invocation payload limit (after its encoding inflation). */
export function fitsPayload(p: Platform, mb: number): boolean {
  return p.limits.payloadMB === null || mb * p.limits.payloadInflation <= p.limits.payloadMB;
}
