/** Inline: the tensors ride in the invocation payload, while they fit its limit. */
import { fitsPayload, type TransportModel } from './types.js';

export const inline: TransportModel = {
  name: 'inline',
  cost: ({ p, mb, fanOut, hopMs }) => (fitsPayload(p, mb) ? {
    transport: 'inline', latencyMs: hopMs + fanOut * mb * p.limits.payloadInflation / p.hop.bandwidthMBps * 1000,
    producerBilledMs: 0, consumerBilledMs: 0, usd: 0,
  } : undefined),
};

/**
 * Bytes of tensors a deployed Step Functions chain (AWS Lambda) keeps inline in the state: its 256 KiB state
 * limit (docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html, as of 2024-06) less room for the JSON
 * around them; larger ones are staged in the object store. The planner's Lambda record prices direct invocations
 * (plan/platforms.ts limits.payloadMB), so this is the one figure deploy and the planner share for that chain.
 */
export const STATE_INLINE_LIMIT_BYTES = 200_000;
