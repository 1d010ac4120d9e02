/**
 * Per-invocation billing as serverless platforms do it: duration rounded up to the billing granularity, times
 * the configured memory (GB-s) and CPU (vCPU-s). Prices are the planner's business; these are the quantities.
 */
export interface Billing {
  billedMs: number;
  gbSeconds: number;
  vcpuSeconds: number;
}

/** `granularityMs`: 1 on AWS Lambda (since 2020); 100 on Cloud Run and Function Compute. */
export function billing(ms: number, memoryMB: number, vcpu: number, granularityMs = 1): Billing {
  const billedMs = Math.max(granularityMs, Math.ceil(ms / granularityMs) * granularityMs);
  return { billedMs, gbSeconds: (memoryMB / 1024) * (billedMs / 1000), vcpuSeconds: vcpu * (billedMs / 1000) };
}
