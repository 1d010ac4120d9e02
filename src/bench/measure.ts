/** Measurement helpers shared by `bench` cells and `demo`: per-function durations, billing (quantiles: core's `quantile`). */
import { resourceUSD, type Platform } from '../plan/index.js';
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

/** What one request costs when every function runs once for its measured duration, under the platform's billing. */
export function requestBill(platform: Platform, fns: MeasuredFunction[]): { usd: number; gbSeconds: number; vcpuSeconds: number } {
  let usd = 0; let gbSeconds = 0; let vcpuSeconds = 0;
  for (const f of fns) {
    const b = billing(f.durationMs, f.memoryMB, f.vcpu, platform.price.granularityMs);
    gbSeconds += b.gbSeconds;
    vcpuSeconds += b.vcpuSeconds;
    usd += resourceUSD(platform.price, b.gbSeconds, b.vcpuSeconds) + platform.price.perRequest;
  }
  return { usd, gbSeconds, vcpuSeconds };
}
