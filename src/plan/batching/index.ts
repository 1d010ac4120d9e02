/** plan/batching: multi-SLO request batching (docs/batching.md). */
export {
  planBatching, planOfGroup, bestGrouping, checkApps, BATCH_STRATEGIES, EXACT_APPS,
  type AppSpec, type BatchGroup, type BatchPlanOutcome, type BatchStrategy, type BatchingOptions, type BatchingResult,
} from './planner.js';
export {
  GroupEvaluator, WorkloadArrivals, DEFAULT_HEADROOM, DEFAULT_WARM_CHOICES, REPLAY_ARRIVALS, type GroupArrivals, type GroupChoice,
} from './group-eval.js';
export {
  batchSizeDistribution, costPerRequest, latencyExceedance, latencyQuantile, meanBatchSize, meanLatency,
  type BatchQueue, type ExecMs,
} from './queue-model.js';
export { simulateBatching, simulateArrivals, simulateInstances, type SimResult, type ChainFunction, type InstancePolicy, type InstanceSimResult } from './simulate.js';
export {
  arrivalTimes, poissonTimes, burstyTimes, traceTimes, readTrace, parseTrace, mergeArrivals, arrivalStats, meanRateOf,
  traceDurationMs, isPoisson, checkArrivalSpec, DEFAULT_BURST, type ArrivalSpec, type ArrivalStats, type Trace, type AppArrivals,
} from './arrivals.js';
export { batchFactor, profileAtBatch, maxBatchOf } from './batched-profile.js';
export { appsFromJson, readAppsFile, parseAppFlag, collectApps } from './apps.js';
export { renderBatching } from './render.js';
