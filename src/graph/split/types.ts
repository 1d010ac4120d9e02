/**
 * Horizontal partitioning (MOPAR's sub-slices): a run of nodes split k ways so that each part computes a
 * disjoint piece of the run's output, the pieces being concatenated afterwards.
 */
export type SplitKind = 'channel' | 'spatial' | 'heads' | 'sequence';

export interface SplitOption {
  kind: SplitKind;
  /** Largest sensible number of parts (e.g. output channels, rows, heads). */
  maxParts: number;
  /** Fraction of the run's weights each part holds at k parts: 1/k for channel splits, 1 for spatial. */
  weightsFractionPerPart: 'inverse' | 'full';
  /** Extra work per part as a fraction of the run's work at k parts (halo recomputation), for the cost model. */
  overheadAt2: number;
}
