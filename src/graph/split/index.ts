/**
 * Horizontal partitioning: which node runs can be split into parallel parts (`analyzeSplits`), and the rewrite
 * into the parts' standalone models plus their joins (`splitRun`). See types.ts for the kinds.
 */
export * from './types.js';
export { analyzeSplits, splitOverhead, splitWork } from './analyze.js';
export { splitRun, splitAxis, partName, type SplitRequest } from './rewrite.js';
export { bandOf } from './bands.js';
// Band-planning internals, for planners that measure many runs incrementally (plan/band-walk.ts).
export { axisFor, constantTensor, planPart, runInfo } from './bands.js';
export { ruleFor, workOf, type Need, type Range, type RuleContext } from './rules.js';
