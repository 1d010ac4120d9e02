/** Horizontal partitioning: which node runs can be split, and the rewrite into parallel parts. */
export * from './types.js';
import type { Graph } from '../ir.js';
import type { SplitOption } from './types.js';

/**
 * The ways a run of consecutive nodes can be split into parallel parts.
 * Interface seam: the horizontal-partitioning work replaces this body with the real analysis.
 */
export function analyzeSplits(_g: Graph, _nodes: readonly string[]): SplitOption[] {
  return [];
}
