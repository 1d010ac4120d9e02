/** graph: load any ONNX model, understand it, cut any part out as a standalone model, run it. */
export * from './dtype.js';
export * from './onnx.js';
export * from './onnx-io.js';
export * from './ir.js';
export * from './input-shapes.js';
export * from './shapes.js';
export * from './extract.js';
export * from './runner.js';
export * from './random-inputs.js';
export * from './inspect.js';
export * from './fold.js';
export * from './weight-readers.js';
export * from './open.js';
export * from './builder.js';
export * as split from './split/index.js';
// Horizontal splitting, also by name: what the planner and the partition stage use.
export * from './split/index.js';
export { tensorByteSize } from './split/tensor-data.js';
export * from './compare.js';
export * from './common-prefix.js';
export * from './switch.js';
