/**
 * Per-invocation billing as serverless platforms do it: duration rounded up to the billing granularity (plan's
 * `billedMs`, the one rule), times the configured memory (GB-s) and CPU (vCPU-s). Prices are the planner's
 * business (`resourceUSD`); these are the quantities.
 */
import { billedMs as roundToGranule } from '../plan/index.js';

export interface Billing {
  billedMs: number;
  gbSeconds: number;
  vcpuSeconds: number;
}

/** `granularityMs`: 1 on AWS Lambda (since 2020); 100 on Cloud Run and Function Compute. */
export function billing(ms: number, memoryMB: number, vcpu: number, granularityMs = 1): Billing {
  const billedMs = roundToGranule(ms, granularityMs);
  return { billedMs, gbSeconds: (memoryMB / 1024) * (billedMs / 1000), vcpuSeconds: vcpu * (billedMs / 1000) };
}
