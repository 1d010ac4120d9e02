/**
 * runtime: the local serverless runtime. Function hosts (one process per instance, cgroup-limited where
 * possible), a KServe v2 gateway that runs a manifest's dataflow, hand-offs (inline, compressed, shared memory).
 */
export { createFunctionCore, FUNCTION_SESSION_CONFIG, type FunctionCore, type FunctionCoreOptions } from './function-core.js';
export { Gateway, DEFAULT_GATEWAY, type GatewayOptions } from './gateway.js';
export { loadServable } from './servable.js';
export { ServedModel, DEFAULT_RUNTIME, SHM_MIN_BYTES, type RuntimeOptions, type WeightsStore, type InferResult, type TensorMeta } from './model.js';
export { FunctionPool, DEFAULT_POOL, type PoolOptions, type SpawnReason } from './pool.js';
export { SaturatedError, DeadlineError, scaleOutDelayMs, type ScaleOutState } from './admission.js';
export { KeepAlivePolicy, IdleTimeHistogram, parseKeepAlive, DEFAULT_HISTOGRAM, type KeepAliveSpec, type KeepAliveDecision, type HistogramPolicyOptions } from './keep-alive.js';
export { FunctionInstance, FunctionFailedError } from './instance.js';
export { billing, type Billing } from './accounting.js';
export { leanModelPath, sweepLeanCache } from './lean-load.js';
export { s3Store, memoryStore, ensureBucket, downloadAll, s3OptionsFromEnv, type ObjectStore, type S3StoreOptions } from './object-store.js';
export { startLocalS3, type LocalS3, type Shaping, type ObjectReads } from './local-s3.js';
export { encodeLossy, decodeLossy, type Lossy } from './lossy.js';
export * from './wire.js';
export { ownSegments, sweepStaleSegments, segmentPath, removeSegment, SHM_DIR } from './segments.js';
export { routeV2, errorReply, statusOf, jsonReply, readBody, refuseConnect, requestPath, clip, withoutPaths, MODEL_VERSION, type V2Reply, type V2Service, type V2Routed } from './v2-router.js';
export { HttpError, headerLengthParameter, parseInferRequest, inferResponse, parseInferResponse, requestBodyLimit, v2Datatype, v2Meta } from './protocol.js';
export { httpRequest, infer, modelMetadata, randomFeeds, binaryInferRequest, errorOf, type ModelMetadata, type InferReply } from './client.js';
export { checkMaxBatch, requestBatch, atMaxBatch } from './max-batch.js';
export { checkShapeRanges, atRangeTop, rangeParameters } from './shape-ranges.js';
export { Batcher, BatchInputError, batchingFromPlan, warmMinimum, concatFeeds, executionMs, splitFeeds, type BatchingConfig, type BatchGroupConfig, type BatchAppConfig, type BatchedReply } from './batcher.js';
export { parseTrace, PHASES } from './trace.js';
