/** plan/batching: multi-SLO request batching (docs/batching.md). */
export {
  planBatching, bestGrouping, checkApps, GroupEvaluator, BATCH_STRATEGIES, EXACT_APPS, DEFAULT_HEADROOM,
  type AppSpec, type GroupChoice, type BatchGroup, type BatchPlanOutcome, type BatchStrategy, type BatchingOptions, type BatchingResult,
} from './planner.js';
export {
  batchSizeDistribution, costPerRequest, latencyExceedance, latencyQuantile, meanBatchSize, meanLatency,
  type BatchQueue, type ExecMs,
} from './queue-model.js';
export { simulateBatching, quantileOf, type SimResult } from './simulate.js';
export { batchFactor, profileAtBatch, maxBatchOf } from './batched-profile.js';
export { appsFromJson, readAppsFile, parseAppFlag, collectApps } from './apps.js';
export { renderBatching } from './render.js';
