/** Compressed: lossless compression before the payload; the producer pays compression, each consumer decompression. */
import { fitsPayload, type TransportModel } from './types.js';

/**
 * Lossless compression of float activations (zstd/deflate at a fast level). Our assumption, not a measurement
 * of each model: post-ReLU tensors compress well, dense ones barely; 0.7 is a middle value (as of 2024-06).
 */
export const COMPRESSION = { ratio: 0.7, compressMBps: 150, decompressMBps: 400 };

export const compressed: TransportModel = {
  name: 'compressed',
  cost: ({ p, mb, fanOut, hopMs }) => {
    if (!fitsPayload(p, mb * COMPRESSION.ratio)) return undefined;
    const c = mb / COMPRESSION.compressMBps * 1000;
    const d = mb / COMPRESSION.decompressMBps * 1000;
    const wire = fanOut * mb * COMPRESSION.ratio * p.limits.payloadInflation / p.hop.bandwidthMBps * 1000;
    return { transport: 'compressed', latencyMs: hopMs + c + wire + d, producerBilledMs: c, consumerBilledMs: d, usd: 0 };
  },
};
