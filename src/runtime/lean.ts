/**
 * runtime's lean entry: the function-host core alone, for the deployed function bundle (esbuild, from
 * src/deploy/function-runtime), which must not pull in the gateway, metrics and ONNX protobuf code that
 * index.ts re-exports; the KServe v2 router every deployed entry answers with (v2-router.ts); and the object store the deployed functions read weights from and stage tensors in.
 * Re-exports only.
 */
export { createFunctionCore, type FunctionCore, type FunctionCoreOptions } from './function-core.js';
export { routeV2, errorReply, statusOf, jsonReply, readBody, refuseConnect, requestPath, clip, withoutPaths, MODEL_VERSION, type V2Reply, type V2Service, type V2Routed } from './v2-router.js';
export { s3Store, memoryStore, ensureBucket, downloadAll, s3OptionsFromEnv, type ObjectStore, type S3StoreOptions } from './object-store.js';
