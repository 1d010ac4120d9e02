/**
 * partition: a plan → standalone ONNX function files + manifest.json (`buildPartition`), the in-process executor of
 * a built partition (`openPipeline` / `runPipeline`), and its check against the unsplit model (`verifyPartition`).
 */
export * from './types.js';
export { buildPartition, type BuildOptions } from './build.js';
export {
  partitionModel, modelProfile, DEFAULT_PROFILE_RUNS,
  type PartitionModelOptions, type PartitionedModel, type ModelProfileOptions, type ProfiledModel, type ProfileOptions,
} from './partition-model.js';
export { readPlan, checkPlan, type PlanGroup } from './plan-check.js';
export { loadManifest, type LoadManifestOptions, type LoadedManifest } from './manifest.js';
export { openPipeline, runPipeline, type Pipeline, type PipelineRun, type PipelineOptions } from './pipeline.js';
export { verifyPartition, compareTensors, assertVerified, DEFAULT_TOLERANCE, type VerifyResult, type VerifyOptions } from './verify.js';
export { applyJoins, joinModel } from './joins.js';
export { writeManifest, writeChunkedManifest } from './hand-cut.js';
export { partitionFleet, loadFleet, isFleet, fleetManifest, SHARED_FUNCTION_PREFIX, type FleetLayout, type FleetRecord, type PartitionFleetOptions, type PartitionedFleet } from './fleet.js';
export { FLEET_SELECTOR } from './fleet-switch.js';
