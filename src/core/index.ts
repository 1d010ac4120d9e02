export * from './errors.js';
export * from './random.js';
export * from './hash.js';
export * from './log.js';
export * from './threads.js';
export * from './dataflow.js';
export * from './validate.js';
