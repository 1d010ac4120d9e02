/**
 * Layers: the unit the partitioner cuts at. A cut after position p of the topological order is cheap when few
 * activation bytes cross it (tensors produced at or before p and read after p). Cut points:
 * - positions where no more significant tensors cross than anywhere else in the model (one, in chains; the
 *   hidden state plus the attention mask in transformers), and
 * - after a Concat whose crossing set is just its own output plus its inputs still awaited by later Concats
 *   (DenseNet: crossing bytes ≤ 2 × the Concat's output) — several tensors, counted by their bytes.
 * Nodes between two cut points form a layer. Any run of consecutive nodes is a valid sub-model
 * (graph/extract), so every cut yields valid pieces; test/profile checks it.
 */
import type { Graph } from '../graph/ir.js';
import { bytesOf, isWeight } from './memory.js';

/** Tensors smaller than this do not count as "crossing" (shape vectors, scalars), but their bytes still count. */
export const SIGNIFICANT_BYTES = 1024;

export interface Crossing {
  tensors: string[];
  bytes: number;
  /** Tensors of at least SIGNIFICANT_BYTES. */
  significant: number;
}

/** What crosses the cut after each position 0..n−2 (a cut after the last node is the model's end). */
export function crossings(g: Graph): Crossing[] {
  const n = g.nodes.length;
  const pos = new Map(g.nodes.map((x, i) => [x.name, i]));
  // Sweep: a tensor crosses cut p when born ≤ p < last reader.
  const born: Array<{ name: string; from: number; to: number; bytes: number }> = [];
  for (const [name, t] of g.tensors) {
    if (isWeight(t)) continue;
    const from = t.kind === 'input' ? -1 : pos.get(t.producer ?? '') ?? -1;
    const to = Math.max(-1, ...t.consumers.map((c) => pos.get(c) ?? -1));
    if (to > from) born.push({ name, from, to, bytes: bytesOf(t) });
  }
  const out: Crossing[] = Array.from({ length: Math.max(0, n - 1) }, () => ({ tensors: [], bytes: 0, significant: 0 }));
  for (const b of born) {
    for (let p = Math.max(0, b.from); p < Math.min(b.to, n - 1); p++) {
      const c = out[p]!;
      c.tensors.push(b.name);
      c.bytes += b.bytes;
      if (b.bytes >= SIGNIFICANT_BYTES) c.significant++;
    }
  }
  return out;
}

/**
 * onnxruntime fuses a residual Add into the LayerNormalization that alone reads it (SkipLayerNormalization; a
 * decomposed LayerNorm starts with ReduceMean). Cutting between them makes the pieces compute with a different
 * kernel than the whole model: post-norm BERT drifted to 1.56e-4 relative, so such positions are not cut points.
 * In pre-norm blocks (ViT, GPT-2) the sum also feeds the next residual Add: it is the residual stream, the only
 * place a block boundary can go, and cutting there stays within 3.5e-5 (docs/results/partition-matrix.md).
 */
function splitsAFusion(g: Graph, p: number): boolean {
  const node = g.nodes[p]!;
  const next = g.nodes[p + 1];
  if (node.op !== 'Add' || !next) return false;
  const out = node.outputs[0]!;
  const readers = g.tensors.get(out)?.consumers ?? [];
  return (next.op === 'LayerNormalization' || next.op === 'ReduceMean') && next.inputs[0] === out && readers.length === 1;
}

/** Positions p (0-based) after which the model may be cut. */
export function cutPoints(g: Graph, cross: Crossing[] = crossings(g)): number[] {
  if (cross.length === 0) return [];
  const minSig = Math.max(1, Math.min(...cross.map((c) => c.significant).filter((s) => s > 0), Infinity));
  const cuts: number[] = [];
  for (const [p, c] of cross.entries()) {
    const node = g.nodes[p]!;
    if (node.isConstant || c.tensors.length === 0 || splitsAFusion(g, p)) continue;
    if (c.significant <= minSig) { cuts.push(p); continue; }
    if (node.op === 'Concat') {
      const own = node.outputs.reduce((s, o) => s + bytesOf(g.tensors.get(o)), 0);
      if (own > 0 && c.bytes <= 2 * own * 1.001) cuts.push(p);
    }
  }
  return cuts;
}

/** Node index ranges [start, end] (inclusive) of the layers between cut points. */
export function layerRanges(nodeCount: number, cuts: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (const p of cuts) {
    if (p < start || p >= nodeCount - 1) continue;
    ranges.push([start, p]);
    start = p + 1;
  }
  if (start < nodeCount) ranges.push([start, nodeCount - 1]);
  return ranges;
}
