/** The runtime module of the entry/gateway folder: no model, no onnxruntime-node. */
export { openfaasEntry } from './gateway.js';
export { feedsHandler } from './faas-handler.js';
export { serveHandler } from './http-server.js';
export { orchestrate, httpCaller } from './orchestrate.js';
export * from './wire.js';
