/**
 * Hand-off of the tensors crossing one cut: how they travel (inline in the invocation payload, compressed,
 * through shared memory, or staged in an object store), what that adds to latency, to billed time and to the
 * bill. The cheapest-in-latency transport that fits the platform's payload limit is chosen.
 */
import type { Platform } from './platforms.js';
import type { Transport } from './types.js';

export type { Transport };
export const TRANSPORTS: readonly Transport[] = ['shm', 'inline', 'compressed', 'object-store'];

/**
 * Lossless compression of float activations (zstd/deflate at a fast level). Our assumption, not a measurement
 * of each model: post-ReLU tensors compress well, dense ones barely; 0.7 is a middle value (as of 2024-06).
 */
export const COMPRESSION = { ratio: 0.7, compressMBps: 150, decompressMBps: 400 };

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

const MB = 1024 * 1024;

/**
 * `bytes` go to each of `fanOut` consumers (a parallel group receives its input once per part).
 * `overhead` = false for the model's own input, whose first invocation every plan pays alike.
 */
export function handOff(p: Platform, bytes: number, fanOut: number, allowed: readonly Transport[] = TRANSPORTS,
  overhead = true): HandOff | undefined {
  const mb = bytes / MB;
  const limit = p.limits.payloadMB;
  const fits = (x: number) => limit === null || x * p.limits.payloadInflation <= limit;
  const hop = overhead ? p.hop.overheadMs : 0;
  let best: HandOff | undefined;
  const offer = (h: HandOff) => {
    if (!best || h.latencyMs < best.latencyMs || (h.latencyMs === best.latencyMs && h.usd < best.usd)) best = h;
  };
  for (const t of allowed) {
    if (t === 'shm' && p.shm.available) {
      offer({ transport: t, latencyMs: (overhead ? p.shm.overheadMs : 0) + fanOut * mb / p.shm.bandwidthMBps * 1000,
        producerBilledMs: 0, consumerBilledMs: 0, usd: 0 });
    } else if (t === 'inline' && fits(mb)) {
      offer({ transport: t, latencyMs: hop + fanOut * mb * p.limits.payloadInflation / p.hop.bandwidthMBps * 1000,
        producerBilledMs: 0, consumerBilledMs: 0, usd: 0 });
    } else if (t === 'compressed' && fits(mb * COMPRESSION.ratio)) {
      const c = mb / COMPRESSION.compressMBps * 1000;
      const d = mb / COMPRESSION.decompressMBps * 1000;
      const wire = fanOut * mb * COMPRESSION.ratio * p.limits.payloadInflation / p.hop.bandwidthMBps * 1000;
      offer({ transport: t, latencyMs: hop + c + wire + d, producerBilledMs: c, consumerBilledMs: d, usd: 0 });
    } else if (t === 'object-store') {
      const io = p.objectStore.latencyMs + mb / p.objectStore.bandwidthMBps * 1000;
      offer({ transport: t, latencyMs: hop + 2 * io, producerBilledMs: io, consumerBilledMs: io,
        usd: p.objectStore.putUSD + fanOut * p.objectStore.getUSD });
    }
  }
  if (bytes === 0) return { transport: 'inline', latencyMs: hop, producerBilledMs: 0, consumerBilledMs: 0, usd: 0 };
  return best;
}
