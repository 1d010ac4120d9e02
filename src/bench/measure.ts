/** Measurement helpers shared by `bench` cells and `demo`: per-function durations, billing (quantiles: core's `quantile`). */
import { measuredOrchestrationUSD, resourceUSD, type Platform } from '../plan/index.js';
import { billing, type Gateway } from '../runtime/index.js';
import type { MeasuredFunction } from './types.js';

type Stats = ReturnType<Gateway['stats']>;

/** Each function's mean duration over the invocations between two `/stats` snapshots (warm-ups excluded). */
export function functionsBetween(before: Stats, after: Stats): MeasuredFunction[] {
  return after.functions.map((f) => {
    const b = before.functions.find((x) => x.name === f.name)!;
    const n = f.invocations - b.invocations;
    const ms = n > 0 ? (f.meanMs * f.invocations - b.meanMs * b.invocations) / n : f.meanMs;
    return { name: f.name, group: f.group, memoryMB: f.memoryMB, vcpu: f.vcpu, durationMs: ms, peakRssMB: f.peakRssMB };
  });
}

/**
 * What one request costs when every function runs once for its measured duration, under the platform's billing;
 * a deployment of more than one function also runs its entry (and workflow) for each whole request: the mean over
 * `requestMs` (the measured requests' latencies) of what that costs (plan/orchestration.ts). Without
 * `requestMs` the entry is left out. gbSeconds and vcpuSeconds are the functions' only.
 */
export function requestBill(platform: Platform, fns: MeasuredFunction[], requestMs?: readonly number[]): { usd: number; gbSeconds: number; vcpuSeconds: number } {
  let usd = 0; let gbSeconds = 0; let vcpuSeconds = 0;
  for (const f of fns) {
    const b = billing(f.durationMs, f.memoryMB, f.vcpu, platform.price.granularityMs);
    gbSeconds += b.gbSeconds;
    vcpuSeconds += b.vcpuSeconds;
    usd += resourceUSD(platform.price, b.gbSeconds, b.vcpuSeconds) + platform.price.perRequest;
  }
  if (fns.length > 1 && requestMs && requestMs.length > 0) {
    usd += requestMs.reduce((s, ms) => s + measuredOrchestrationUSD(platform, ms), 0) / requestMs.length;
  }
  return { usd, gbSeconds, vcpuSeconds };
}
