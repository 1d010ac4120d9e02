/**
 * zoo: reference architectures generated in code with deterministic seeded weights, full-size and `tiny`
 * (same block structure and op types at reduced width/depth/resolution, for tests).
 */
export type { ZooCategory, ZooModelDef } from './types.js';
export { ZOO_OPSET } from './net.js';
export { BATCH_DIM, type ZooBatch } from './dynamic.js';
export * from './catalog.js';
export { writeToyModel, toyWeights } from './toy.js';
export { CRITEO_CARDINALITIES } from './models/dlrm.js';
export { modelVariant, RESNET_HEAD, VARIANT_HEADS, type VariantHead } from './variants.js';
