/**
 * plan: choose the functions a model becomes. `planPartition(profile, {platform, strategy, sloMs})` → Plan.
 * Objective for every strategy: minimum cost per request subject to end-to-end latency ≤ SLO, under one cost
 * model (cost-model.ts) and one platform record (platforms.ts). Default SLO: the unsplit function's predicted
 * latency at 1 vCPU — the model's measured p50 scaled by the profile's CPU-scaling curve to 1 vCPU, plus the
 * handler's per-invocation time.
 */
export * from './types.js';
export { PLATFORMS, PLATFORM_VARIANTS, getPlatform, type Platform } from './platforms.js';
export { configsFor } from './configs.js';
export { STRATEGY_NAMES, parseStrategy } from './strategies/index.js';
export { SPLIT_MARGIN } from './strategies/mopar.js';
export { TRANSPORTS, STATE_INLINE_LIMIT_BYTES, transportHandOff } from './transports/index.js';
export { callFullSpeedMs, sustainedLatency } from './quota-model.js';
export { requestInputBytes } from './cost-model.js';
export { renderPlan, renderAlternatives } from './render.js';
export { compareAlternatives, whyChosen } from './alternatives.js';
export type { FnConfig } from './configs.js';
export { billedMs, billedMsFor, busyPeriods, concurrentInstanceUSD, expectedBilledMs, invocationUSD, measuredInvocationUSD, initUSD, resourceUSD, usdPerSecond, warmUSDPerSecond, type ResourceRates } from './billing.js';
export { orchestrationUSD, measuredOrchestrationUSD, orchestrationRate, type OrchestrationRate } from './orchestration.js';
export { physicalFloor, liveMemoryMB, type PhysicalFloor, type FloorLayer, type FloorOptions } from './floor.js';
export * from './batching/index.js';
export * from './plan-partition.js';
