/** Shared memory: a segment passed by name, where the platform runs producer and consumers on one machine. */
import type { TransportModel } from './types.js';

export const shm: TransportModel = {
  name: 'shm',
  cost: ({ p, mb, fanOut, overhead }) => (p.shm.available ? {
    transport: 'shm', latencyMs: (overhead ? p.shm.overheadMs : 0) + fanOut * mb / p.shm.bandwidthMBps * 1000,
    producerBilledMs: 0, consumerBilledMs: 0, usd: 0,
  } : undefined),
};
