/**
 * Measured work of horizontal splits for every run of profile layers ending at one layer, in one backward pass.
 * graph/split's `planPart` walks a run from its outputs back to its first node; the run [a, b] is the run
 * [a + 1, b] walked one layer further (its outputs are the same plus layer a's tensors read after b). So one walk
 * per (last layer, kind, k, part) gives the work of every run ending at b: O(n) band plans instead of O(n²).
 * Same rules, same merge, same result as `splitWork` (checked by test/plan/split-work.test.ts).
 * The walk for one k stops once its slowest part does ≥ USELESS of the run's work: longer runs are then not
 * offered that split (never offering a split is always safe; the planner only loses an option).
 */
import { concreteShape, axisFor, bandOf, constantTensor, ruleFor, workOf, tensorByteSize, type Graph, type GraphNode, type Need, type RuleContext, type SplitOption } from '../graph/index.js';
import type { LayerProfile } from '../profile/index.js';

export interface PartWork { total: number; maxPart: number }
/** Past this slowest-part share a split buys almost no latency for k times the invocations. */
export const USELESS = 0.95;

/** What each part of a walk needs of every tensor (indexed by tensor id), its work so far, and failure. */
interface Walk { needs: Array<Need | undefined>; work: number; failed: boolean }

/** A computing node with its tensors as ids (walks run thousands of steps; ids avoid string-keyed maps). */
interface WalkNode {
  node: GraphNode;
  /** Proto inputs in order ('' → −1), for the band rules. */
  inputs: number[];
  /** Every tensor the node reads, subgraphs' outer-scope names included: all needed whole when it is. */
  reads: number[];
  outputs: number[];
  work: number;
}

export class BandWalker {
  private readonly layerNodes: WalkNode[][];
  private readonly tensorNames: string[] = [];
  /** Per tensor id, the last layer that reads it (Infinity for graph outputs): a run output when > run's last. */
  private readonly lastReader: number[] = [];
  private readonly ctx: RuleContext;
  /** True when every layer's computing nodes precede the next layer's in the graph's order (walks are valid). */
  readonly contiguous: boolean;

  constructor(private readonly g: Graph, layers: readonly LayerProfile[]) {
    const order = new Map(g.nodes.map((n, i) => [n.name, i]));
    const layerOf = new Map<string, number>();
    layers.forEach((l, li) => { for (const name of l.nodes) layerOf.set(name, li); });
    this.ctx = { shape: (name) => concreteShape(g, name), opset: g.opset, constant: (name) => constantTensor(g, name) };
    const ids = new Map<string, number>();
    const idOf = (name: string): number => {
      if (!name) return -1;
      let id = ids.get(name);
      if (id === undefined) {
        ids.set(name, id = this.tensorNames.length);
        this.tensorNames.push(name);
        const t = g.tensors.get(name);
        this.lastReader.push(!t ? -Infinity : t.isGraphOutput ? Infinity
          : Math.max(-Infinity, ...t.consumers.map((c) => layerOf.get(c) ?? Infinity)));
      }
      return id;
    };
    this.layerNodes = layers.map((l) => l.nodes.map((name) => g.nodeByName.get(name)!).filter((n) => !n.isConstant)
      .sort((x, y) => order.get(x.name)! - order.get(y.name)!)
      .map((node) => ({ node, inputs: node.proto.input.map(idOf), reads: node.inputs.map(idOf), outputs: node.outputs.map(idOf), work: workOf(node, this.ctx) })));
    let ok = true;
    let prevMax = -1;
    for (const ns of this.layerNodes) {
      if (ns.length === 0) continue;
      if (order.get(ns[0]!.node.name)! < prevMax) ok = false;
      prevMax = order.get(ns.at(-1)!.node.name)!;
    }
    this.contiguous = ok;
  }

  /**
   * Work of splitting runs [a, last] (a = last, last − 1, ...) k ways along `axis`, indexed by a; entries are
   * undefined where the run cannot be split so or where the walk stopped. `axisOk(a)` says whether `axis` is
   * the axis graph/split would choose for run [a, last] (it depends on the run for channel splits).
   */
  walk(last: number, axis: number, k: number, axisOk: (a: number) => boolean): Array<PartWork | undefined> {
    const out: Array<PartWork | undefined> = [];
    const parts: Walk[] = Array.from({ length: k }, () => ({ needs: new Array(this.tensorNames.length), work: 0, failed: false }));
    let total = 0;
    let computing = 0;
    for (let a = last; a >= 0; a--) {
      const nodes = this.layerNodes[a]!;
      for (let j = nodes.length - 1; j >= 0; j--) {
        const n = nodes[j]!;
        total += n.work;
        computing++;
        const runOutputs = n.outputs.filter((o) => this.lastReader[o]! > last);
        for (let i = 0; i < k; i++) this.step(parts[i]!, n, runOutputs, axis, i, k);
      }
      if (parts.some((p) => p.failed)) break;
      if (computing === 0 || !axisOk(a)) continue;
      let sum = 0;
      let max = 0;
      for (const p of parts) { const r = total > 0 ? p.work / total : 1; sum += r; max = Math.max(max, r); }
      out[a] = { total: sum, maxPart: max };
      if (max >= USELESS) break;
    }
    return out;
  }

  /** planPart's per-node step, for part i of k; a run output's band joins what consumers in the run need. */
  private step(p: Walk, wn: WalkNode, runOutputs: readonly number[], axis: number, i: number, k: number): void {
    const { node: n, work: w } = wn;
    for (const o of runOutputs) {
      const name = this.tensorNames[o]!;
      const shape = this.ctx.shape(name);
      let ax: number;
      try { ax = axisFor(axis, shape.length, name); } catch { p.failed = true; return; }
      if (shape[ax]! < k) { p.failed = true; return; }
      const [lo, hi] = bandOf(shape[ax]!, i, k);
      p.needs[o] = merge(p.needs[o], { axis: ax, lo, hi });
    }
    let outNeed: Need | undefined;
    for (const o of wn.outputs) { const x = p.needs[o]; if (x) outNeed = merge(outNeed, x); }
    if (outNeed === undefined) return;
    const rule = outNeed === 'whole' ? null : ruleFor(n);
    const res = rule && outNeed !== 'whole' ? rule(n, outNeed, this.ctx) : null;
    if (!res || res.out.hi <= res.out.lo) {
      for (const x of wn.reads) p.needs[x] = 'whole';
      p.work += w;
      return;
    }
    const full = this.ctx.shape(n.outputs[0]!)[res.out.axis]!;
    p.work += (w * (res.out.hi - res.out.lo)) / full;
    for (let j = 0; j < wn.inputs.length; j++) {
      const x = wn.inputs[j]!;
      if (x >= 0 && !res.replace?.some((r) => r.index === j)) p.needs[x] = merge(p.needs[x], res.inputs[j] ?? 'whole');
    }
  }

  /** Axis graph/split's `splitAxis` picks for each run [a, last] (undefined: that kind cannot split it). */
  axes(last: number, kind: SplitOption['kind']): Array<number | undefined> {
    const out: Array<number | undefined> = [];
    let bestBytes = -1;
    let bestAxis: number | undefined;
    let softmax = false;
    for (let a = last; a >= 0; a--) {
      const ns = this.layerNodes[a]!;
      for (let j = ns.length - 1; j >= 0; j--) {
        const n = ns[j]!.node;
        if (n.op === 'Softmax') softmax = true;
        if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
        const wt = constantTensor(this.g, n.proto.input[1]!);
        // splitAxis keeps the first of equal-sized weights in topological order: walking backwards, the later visit wins.
        if (wt && tensorByteSize(wt) >= bestBytes) { bestBytes = tensorByteSize(wt); bestAxis = n.op === 'MatMul' ? -1 : 1; }
      }
      out[a] = kind === 'spatial' ? 2 : kind === 'sequence' ? 1 : kind === 'heads' ? (softmax ? -1 : undefined) : bestAxis;
    }
    return out;
  }
}

function merge(a: Need | undefined, b: Need): Need {
  if (a === undefined) return b;
  if (a === 'whole' || b === 'whole' || a.axis !== b.axis) return 'whole';
  if (a.lo <= b.lo && a.hi >= b.hi) return a;
  return { axis: a.axis, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}
