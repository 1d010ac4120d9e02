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
import type { Graph, GraphNode } from '../graph/index.js';
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
 * onnxruntime fuses a residual Add into the LayerNormalization that alone reads it (SkipLayerNormalization), and
 * a LayerNorm that exporters write decomposed (opset < 17: ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt →
 * Div [→ Mul → Add]) into one LayerNormalization. Cutting inside either makes the pieces compute with different
 * kernels than the whole model (post-norm BERT drifted to 1.56e-4 relative) and, for the decomposed form, would
 * make half a dozen one-op "layers" per norm. So positions inside a (decomposed) LayerNorm, and after an Add
 * read only by one, are not cut points. In pre-norm blocks (ViT, GPT-2) the sum also feeds the next residual
 * Add: it is the residual stream, the only place a block boundary can go, and cutting there stays within 3.5e-5
 * (docs/results/partition-matrix.md).
 */
export function fusedPositions(g: Graph): Set<number> {
  const pos = new Map(g.nodes.map((x, i) => [x.name, i]));
  const readers = (t: string) => (g.tensors.get(t)?.consumers ?? []).map((c) => g.nodeByName.get(c)!);
  const noCut = new Set<number>();
  const normMembers = new Set<string>();
  const only = (t: string, op: string) => { const r = readers(t); return r.length === 1 && r[0]!.op === op ? r[0] : undefined; };
  for (const mean of g.nodes) {
    if (mean.op !== 'ReduceMean') continue;
    const x = mean.inputs[0]!;
    const sub = readers(mean.outputs[0]!).find((n) => n.op === 'Sub' && n.inputs[0] === x);
    if (!sub) continue;
    const d = sub.outputs[0]!;
    const div = readers(d).find((n) => n.op === 'Div' && n.inputs[0] === d);
    const pow = readers(d).find((n) => n.op === 'Pow');
    if (!div || !pow) continue;
    let end = div;
    const mul = only(end.outputs[0]!, 'Mul');
    if (mul) { end = mul; const add = only(end.outputs[0]!, 'Add'); if (add) end = add; }
    const from = Math.min(pos.get(mean.name)!, pos.get(sub.name)!);
    const to = pos.get(end.name)!;
    for (let p = from; p < to; p++) { noCut.add(p); normMembers.add(g.nodes[p]!.name); }
    normMembers.add(end.name);
  }
  for (const [p, node] of g.nodes.entries()) {
    if (node.op !== 'Add') continue;
    const rs = readers(node.outputs[0]!);
    if (rs.length === 0 || g.tensors.get(node.outputs[0]!)!.isGraphOutput) continue;
    const intoNorm = rs.length === 1 && rs[0]!.op === 'LayerNormalization' && rs[0]!.inputs[0] === node.outputs[0];
    if (intoNorm || rs.every((r) => normMembers.has(r.name) && (r.op === 'ReduceMean' || r.op === 'Sub'))) {
      // The Add and the norm: no cut from the Add up to where the norm starts (Constant nodes may sit between).
      const start = Math.min(...rs.map((r) => pos.get(r.name)!));
      for (let q = p; q < start; q++) noCut.add(q);
    }
  }
  return noCut;
}

/**
 * Shape arithmetic (Shape → Gather → Unsqueeze → Concat feeding a Reshape, as exports with dynamic axes write
 * it): nodes whose outputs are all small integer tensors. A cut right after one would make a layer of shape
 * bookkeeping; the cut goes after the last of them instead, before the node that uses the shape. The small int
 * tensors that still cross a cut are passed along (their bytes count, they do not count as significant).
 */
export function isShapeArithmetic(g: Graph, node: GraphNode): boolean {
  if (node.op === 'Shape' || node.op === 'Size') return true;
  return node.outputs.length > 0 && node.outputs.every((o) => {
    const t = g.tensors.get(o);
    return (t?.dtype === 'int64' || t?.dtype === 'int32') && bytesOf(t) < SIGNIFICANT_BYTES;
  });
}

/** Positions p (0-based) after which the model may be cut. */
export function cutPoints(g: Graph, cross: Crossing[] = crossings(g)): number[] {
  if (cross.length === 0) return [];
  const minSig = Math.max(1, Math.min(...cross.map((c) => c.significant).filter((s) => s > 0), Infinity));
  const cuts: number[] = [];
  const fused = fusedPositions(g);
  for (const [p, c] of cross.entries()) {
    const node = g.nodes[p]!;
    if (node.isConstant || c.tensors.length === 0 || fused.has(p) || isShapeArithmetic(g, node)) continue;
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
