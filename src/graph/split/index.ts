/**
 * Horizontal partitioning: which node runs can be split into parallel parts (`analyzeSplits`), and the rewrite
 * into the parts' standalone models plus their joins (`splitRun`). See types.ts for the kinds.
 */
export * from './types.js';
export { analyzeSplits, splitOverhead, splitWork } from './analyze.js';
export { splitRun, splitAxis, partName, type SplitRequest } from './rewrite.js';
export { bandOf } from './bands.js';
