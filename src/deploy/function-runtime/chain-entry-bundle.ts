/** The runtime module of the entry/gateway folder: no model, no onnxruntime-node. */
export { openfaasEntry } from './chain-entry.js';
export { lambdaEntry, lambdaBatchFront } from './lambda-entry.js';
export { faasHandler } from './faas-handler.js';
export { serveHandler } from './http-server.js';
export { v2Handler } from './v2.js';
export { memoryStore, s3Store } from '../../runtime/lean.js';
export * from './wire.js';
export { entrySelfTest as selfTest } from './selftest.js';
