/**
 * graph's lean entry: running a model and tensor types, without the ONNX protobuf code index.ts also brings.
 * For the processes that only run slices (function hosts, the deployed function bundle): smaller and faster
 * to start. Re-exports only; everything here is also exported by index.ts.
 */
export * from './dtype.js';
export * from './runner.js';
