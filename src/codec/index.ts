/**
 * codec: tensors as bytes — the dtype ↔ typed array table, typed and byte views, JSON values, base64 and the binary
 * framing. Shared by the runtime's host IPC and KServe v2 protocol, the deployed functions (bundled into each, so
 * it stays small and Node-only) and the profiler's measurement child. Depends on graph's types only.
 */
export * from './errors.js';
export * from './dtypes.js';
export * from './tensor.js';
export * from './base64.js';
export * from './frame.js';
