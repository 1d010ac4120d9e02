/** Object store: the producer uploads once, every consumer downloads; no payload limit, request charges. */
import type { TransportModel } from './types.js';

export const objectStore: TransportModel = {
  name: 'object-store',
  cost: ({ p, mb, fanOut, hopMs }) => {
    const io = p.objectStore.latencyMs + mb / p.objectStore.bandwidthMBps * 1000;
    return { transport: 'object-store', latencyMs: hopMs + 2 * io, producerBilledMs: io, consumerBilledMs: io,
      usd: p.objectStore.putUSD + fanOut * p.objectStore.getUSD };
  },
};
