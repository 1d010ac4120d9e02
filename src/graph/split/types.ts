/**
 * Horizontal partitioning (MOPAR's sub-slices): a run of nodes split k ways so that each part computes a
 * disjoint piece of the run's output, the pieces being concatenated afterwards.
 *
 * All kinds are one mechanism — a "band" split along one axis of the run's outputs (see bands.ts):
 * - channel:  output channels (axis 1 of Conv/Gemm outputs, last axis of MatMul outputs); the weights of
 *             Conv/Gemm/MatMul/BatchNorm are sliced, so each part holds 1/k of them.
 * - spatial:  bands of rows (axis 2 of NCHW outputs); convolutions and pooling read the halo their receptive
 *             field needs (strides, dilations, padding included); weights are whole in every part.
 * - sequence: bands of tokens (axis 1 of [batch, seq, features] outputs) through token-wise ops (MatMul with
 *             weights, bias, LayerNorm, activations); attention itself mixes tokens and is not split.
 * - heads:    attention heads: the last axis of a run ending at the heads-merge Reshape (before the output
 *             projection); Q/K/V projection weights are sliced by whole heads. Offered instead of 'channel' for
 *             runs that contain a Softmax.
 */
import type { ModelProto } from '../onnx.js';

export type SplitKind = 'channel' | 'spatial' | 'heads' | 'sequence';

export interface SplitOption {
  kind: SplitKind;
  /** Largest sensible number of parts (e.g. output channels, rows, heads). */
  maxParts: number;
  /** Fraction of the run's weights each part holds at k parts: 1/k for channel splits, 1 for spatial. */
  weightsFractionPerPart: 'inverse' | 'full';
  /** Extra work per part as a fraction of the run's work at k parts (halo recomputation), for the cost model. */
  overheadAt2: number;
  /**
   * Measured by the profiler where it timed this layer's parts (profile/split-parts.ts): at k parts, the slowest
   * part's time ÷ the whole layer's, both alone at one thread. Absent: not measured (the band model's work alone).
   */
  partShareAt?: Record<number, number>;
  /** Axis of the run's outputs that is split (non-negative, for outputs of the primary rank). */
  axis?: number;
  /** Measured fraction of the run's weight bytes the largest part holds at k = 2. */
  weightsFractionAt2?: number;
  /** Recomputation overhead (Σ parts' work / run's work − 1) at k = 2, 4, 8 parts (where k ≤ maxParts). */
  overheadAt?: Record<number, number>;
}

/** One part of a split run: a standalone model computing a band of every output of the run. */
export interface SplitPart {
  index: number;
  model: ModelProto;
  /** Graph input names (original tensor names: each part reads whole tensors and slices inside). */
  inputs: string[];
  /** Graph output names: `<tensor>.part<i>of<k>`, one per run output. */
  outputs: string[];
  weightsBytes: number;
}

/** How one run output is reassembled: Concat(parts, axis) gives back the original tensor. */
export interface SplitJoin {
  tensor: string;
  parts: string[];
  axis: number;
  dtype: string;
  /** Shape of the whole tensor and of each part. */
  shape: number[];
  partShapes: number[][];
}

export interface SplitResult {
  kind: SplitKind;
  axis: number;
  parts: SplitPart[];
  joins: SplitJoin[];
  /** Σ parts' work / run's work − 1 (halo or recomputation overhead). */
  overhead: number;
}
