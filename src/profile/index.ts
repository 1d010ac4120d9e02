/** profile: the measured resource picture of a model (latency and memory per node and per layer). */
export * from './types.js';
export * from './batch-types.js';
export { profileModel, DEFAULT_PROFILE_RUNS, DEFAULT_BASELINE_RSS_MB, type ProfileOptions } from './profile-model.js';
export { saveProfile, loadProfile } from './store.js';
export { memoryTimeline, sharedWeights, type MemoryTimeline, type NodeMemory } from './memory.js';
export { crossings, cutPoints, layerRanges, type Crossing } from './layers.js';
export { parseOrtTrace, attribute, endToEndMs, type Attribution } from './latency.js';
export { rdOps, shares, RD_TIME_THRESHOLD, RD_PARAM_THRESHOLD } from './rd.js';
export { predictPeakRssMB, ACTIVATION_FACTOR, SESSION_OVERHEAD_MB } from './rss-model.js';
export { measureInChild, type ChildResult } from './child.js';
export { cpuScaling } from './cpu-scaling-measure.js';
export { measureBatchProfile, fitBatchLatency, renderBatchProfile, DEFAULT_BATCH_SIZES, BATCH_MEMORY_BOUND_MB } from './batch.js';
export { renderProfile, plotTimeline } from './render.js';
export { syntheticProfile, randomProfile, syntheticScaling, SYNTHETIC_CHANNEL_SPLIT, type SyntheticLayer } from './synthetic.js';
