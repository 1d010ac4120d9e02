/**
 * Memory over one inference by liveness analysis over the topological order: weights are resident all along;
 * an activation (graph inputs included) is alive from its producer until its last consumer ran, graph outputs
 * until the end. Exact, data-independent numbers from shapes alone.
 */
import { tensorBytes, weightReaders, type Graph, type TensorInfo } from '../graph/index.js';

export interface NodeMemory {
  outputBytes: number;
  /** Weights (initializers, Constant tensors) this node is the first reader of. */
  paramBytes: number;
  /** Activations alive right after the node ran. */
  liveBytesAfter: number;
  /** Activations alive while it runs: what was alive before plus its outputs. */
  liveBytesDuring: number;
}

export interface MemoryTimeline {
  nodes: NodeMemory[];
  weightsBytes: number;
  /** The largest single weight tensor. */
  largestWeightBytes: number;
  /** Max of liveBytesDuring. */
  peakActivationBytes: number;
  /** (max − min) / max of weights + live-after activations over the run. */
  fluctuation: number;
}

export function bytesOf(t: TensorInfo | undefined): number {
  if (!t?.dtype || !t.shape || t.shape.some((d) => typeof d !== 'number')) return 0;
  return tensorBytes(t.dtype, t.shape as number[]);
}

export function isWeight(t: TensorInfo): boolean {
  return t.kind === 'initializer' || t.kind === 'constant';
}

/**
 * Weights that nodes of more than one layer read (`layerOf`: a node's position → its layer), with those layers. A
 * read through constant-folding nodes counts for the node that computes with it (graph's `weightReaders`).
 */
export function sharedWeights(g: Graph, layerOf: (node: number) => number): Array<{ name: string; mb: number; layers: number[] }> {
  const out: Array<{ name: string; mb: number; layers: number[] }> = [];
  for (const [name, at] of weightReaders(g)) {
    const layers = new Set(at.map(layerOf));
    if (layers.size > 1) out.push({ name, mb: bytesOf(g.tensors.get(name)) / 2 ** 20, layers: [...layers].sort((a, b) => a - b) });
  }
  return out;
}

export function memoryTimeline(g: Graph): MemoryTimeline {
  const pos = new Map(g.nodes.map((n, i) => [n.name, i]));
  // Position of the last reader of each activation; graph outputs live to the end.
  const end = g.nodes.length;
  const lastUse = (t: TensorInfo): number =>
    t.isGraphOutput ? end : Math.max(-1, ...t.consumers.map((c) => pos.get(c) ?? -1));

  const owned = new Set<string>();
  let weightsBytes = 0;
  const freeAfter: number[] = new Array(end + 1).fill(0);
  let live = 0;
  for (const name of g.inputs) {
    const t = g.tensors.get(name)!;
    const b = bytesOf(t);
    live += b;
    const lu = lastUse(t);
    if (lu < 0) live -= b; else freeAfter[lu]! += b;
  }
  const nodes: NodeMemory[] = [];
  let peak = live;
  for (const [i, n] of g.nodes.entries()) {
    let paramBytes = 0;
    for (const inp of n.inputs) {
      const t = g.tensors.get(inp);
      if (!t || !isWeight(t) || owned.has(inp)) continue;
      owned.add(inp);
      paramBytes += bytesOf(t);
    }
    let outputBytes = 0;
    let produced = 0;
    for (const o of n.outputs) {
      const t = g.tensors.get(o)!;
      const b = bytesOf(t);
      outputBytes += b;
      if (isWeight(t)) continue;
      const lu = lastUse(t);
      produced += b;
      // An output nobody reads is freed right after its producer.
      freeAfter[lu < 0 ? i : lu]! += b;
    }
    weightsBytes += paramBytes;
    const during = live + produced;
    peak = Math.max(peak, during);
    live = during - freeAfter[i]!;
    nodes.push({ outputBytes, paramBytes, liveBytesAfter: live, liveBytesDuring: during });
  }
  // Weights nobody reads still sit in the file and in memory.
  let largestWeightBytes = 0;
  for (const [name, t] of g.tensors) {
    if (!isWeight(t)) continue;
    largestWeightBytes = Math.max(largestWeightBytes, bytesOf(t));
    if (!owned.has(name)) weightsBytes += bytesOf(t);
  }
  const totals = nodes.map((m) => weightsBytes + m.liveBytesAfter);
  const max = Math.max(0, ...totals);
  const min = totals.length ? Math.min(...totals) : 0;
  return { nodes, weightsBytes, largestWeightBytes, peakActivationBytes: peak, fluctuation: max > 0 ? (max - min) / max : 0 };
}
