/**
 * The bill, in one place: how a duration is rounded to the billing granule, and what memory, CPU and requests
 * cost. The planner (predicted bills), the physical floor, the runtime's accounting of measured invocations and
 * the benches' measured bills all use these.
 */
import type { Platform } from './platforms.js';
import type { FnConfig } from './configs.js';

/** Prices of resource time: USD per GB-second of memory (GB = 1024 MB) and per vCPU-second. */
export interface ResourceRates { perGBSecond: number; perVcpuSecond: number }

/**
 * Duration billed for one invocation of `ms`: rounded up to the granule (1 ms on AWS Lambda, 100 ms on Cloud
 * Run), at least one granule. The 1e-9 granule of slack keeps float noise (200.00000000000003 ms) from
 * billing a whole extra granule.
 */
export function billedMs(ms: number, granularityMs: number): number {
  return Math.max(granularityMs, Math.ceil(ms / granularityMs - 1e-9) * granularityMs);
}

/** USD of `gbSeconds` of memory and `vcpuSeconds` of CPU (no request fee). */
export function resourceUSD(rates: ResourceRates, gbSeconds: number, vcpuSeconds: number): number {
  return gbSeconds * rates.perGBSecond + vcpuSeconds * rates.perVcpuSecond;
}

/** USD per second a configuration is billed while it runs (configured memory and CPU; no request fee). */
export function usdPerSecond(p: Platform, c: FnConfig): number {
  return resourceUSD(p.price, c.memoryMB / 1024, c.vcpu);
}

/**
 * Where billing is coarse (Cloud Run: 100 ms), a function predicted just under a step that runs a little slower is
 * billed a whole extra step. We bill the expected step over the durations the function may really take, uniformly
 * from the prediction to this much slower (the embedded runtime ran ResNet-50 5–25 % over its profile): plans near
 * a step pay part of the next one, and a long function is not charged a whole extra step for a margin it rarely
 * needs (rounding the padded duration up charged VGG-16's 873 ms unsplit function 1100 ms; it measured 849 ms).
 */
export const COARSE_BILLING_MARGIN = 0.15;

/**
 * Duration the planner expects billed for a predicted `ms`: `billedMs` on fine granularities; on coarse ones the
 * expectation above.
 */
export function billedMsFor(p: Platform, ms: number): number {
  return expectedBilledMs(ms, p.price.granularityMs);
}

/**
 * `billedMsFor` at any granule `g` (a service billed apart from the functions, such as Step Functions' 100 ms).
 */
export function expectedBilledMs(ms: number, g: number): number {
  const lo = Math.max(ms, 1e-6);
  if (g < 10) return billedMs(lo, g);
  const hi = lo * (1 + COARSE_BILLING_MARGIN);
  // ∫ billedMs(x) dx over [lo, hi] / (hi − lo), step by step.
  let area = 0;
  for (let step = Math.floor(lo / g) * g; step < hi; step += g) {
    const a = Math.max(lo, step);
    const b = Math.min(hi, step + g);
    if (b > a) area += (b - a) * (step + g);
  }
  return area / (hi - lo);
}

/** USD the planner predicts for one invocation of `ms` at a configuration (`billedMsFor`, plus the request fee). */
export function invocationUSD(p: Platform, c: FnConfig, ms: number): number {
  return billedMsFor(p, ms) / 1000 * usdPerSecond(p, c) + p.price.perRequest;
}

/**
 * USD of one measured invocation of `ms`: the duration rounded up to the granule (`billedMs`, per call, no
 * expectation over noise: the call's duration is known), plus the request fee. Benches bill each call by it.
 */
export function measuredInvocationUSD(p: Platform, c: FnConfig, ms: number): number {
  return billedMs(ms, p.price.granularityMs) / 1000 * usdPerSecond(p, c) + p.price.perRequest;
}

/**
 * USD of one instance start (init: sandbox, runtime, weights) of `ms`, where the platform bills it
 * (`warmup.initBilled`: Lambda's INIT phase since 2025-08, Cloud Run's instance time from start) as duration at
 * the configured size, rounded like an invocation; no request fee. 0 where a start is not billed or not known.
 */
export function initUSD(p: Platform, c: FnConfig, ms: number): number {
  return p.warmup?.initBilled ? billedMs(ms, p.price.granularityMs) / 1000 * usdPerSecond(p, c) : 0;
}

/**
 * USD per second of one instance of each of `fns` kept warm by a warm minimum (Cloud Run min-instances, Lambda
 * provisioned concurrency), at the platform's `instances.warm` price and charged all the time; 0 where the
 * platform prices none. The planner's warm capacity and the workload bench's measured bill both use it.
 */
export function warmUSDPerSecond(p: Platform, fns: readonly FnConfig[]): number {
  const warm = p.instances?.warm;
  return warm ? fns.reduce((s, f) => s + resourceUSD(warm, f.memoryMB / 1024, f.vcpu), 0) : 0;
}

/**
 * Busy periods of one instance serving calls side by side: the union of the calls' [start, end] spans (ms),
 * overlapping or touching spans merged, in time order.
 */
export function busyPeriods(spans: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * USD of one instance serving requests concurrently (Cloud Run --concurrency, request-based billing; platform
 * `concurrency`): instance time while at least one request is active, each busy period rounded up to the granule,
 * at the configured size, plus the request fee per request. Overlapping requests share their instance time: it is
 * billed once, not per request as `measuredInvocationUSD` bills a call. `spans`: the requests' [start, end], ms.
 */
export function concurrentInstanceUSD(p: Platform, c: FnConfig, spans: ReadonlyArray<readonly [number, number]>): number {
  const ms = busyPeriods(spans).reduce((s, [a, b]) => s + billedMs(b - a, p.price.granularityMs), 0);
  return ms / 1000 * usdPerSecond(p, c) + spans.length * p.price.perRequest;
}
