/**
 * Plan: which functions a model becomes, each with its nodes and configuration. Written by `mopar plan -o`,
 * read by `mopar build`. Plain data.
 */
import type { InputShapes } from '../graph/input-shapes.js';

/** How a sub-slice computes its disjoint part of the slice's output. */
export interface SplitSpec {
  kind: 'channel' | 'spatial' | 'heads' | 'sequence';
  /** This sub-slice's index and the number of sub-slices in its group. */
  index: number;
  parts: number;
}

export interface PlanFunction {
  name: string;
  memoryMB: number;
  vcpu: number;
  /** Original node names this function computes (for sub-slices: the slice's nodes). */
  nodes: string[];
  /** Sub-slices that run in parallel share a group; a plain slice is a group of one. */
  group: string;
  /** Inclusive layer range [first, last] of the profile's layers. */
  layers: [number, number];
  split?: SplitSpec;
  predicted: { ms: number; costPerMillionUSD: number; peakMB: number };
  /** Resource vector that made these layers similar (shown to people). */
  similarity?: { dominantOp: string; msPerLayer: number; paramMB: number; peakActivationMB: number };
}

export interface PlanEdge {
  tensor: string;
  from: string;
  to: string[];
  bytes: number;
  transport: 'inline' | 'compressed' | 'shm' | 'object-store';
}

export interface Plan {
  kind: 'mopar.plan';
  version: 1;
  model: string;
  modelHash: string;
  inputShapes: InputShapes;
  strategy: string;
  platform: string;
  sloMs: number;
  functions: PlanFunction[];
  edges: PlanEdge[];
  predicted: { latencyMs: number; costPerMillionUSD: number; efficiency: number };
  /** The unsplit function under the same platform model, for comparison. */
  unsplit: { latencyMs: number; costPerMillionUSD: number; memoryMB: number; vcpu: number };
  planMs: number;
}
