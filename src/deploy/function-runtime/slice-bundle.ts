/**
 * The self-contained runtime module copied into every generated slice folder (bundled by `bundle.ts` into
 * one CommonJS file; only onnxruntime-node, and the AWS SDK on Lambda, come from outside).
 */
export { openfaasFunction } from './openfaas.js';
export { openfaasModel, lambdaModel } from './model-function.js';
export { lambdaFunction } from './lambda.js';
export { faasHandler } from './faas-handler.js';
export { serveHandler } from './http-server.js';
export { memoryStore, s3Store } from '../../runtime/lean.js';
export * from './wire.js';
export { sliceSelfTest as selfTest } from './selftest.js';
