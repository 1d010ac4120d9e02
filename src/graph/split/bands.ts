/**
 * Band planning: for part i of k, which rows of every tensor of the run it must compute. Runs backwards over the
 * run (reverse topological order) from the part's band of each run output, asking each node's rule what it
 * needs of its inputs; a tensor needed by several consumers gets the hull of their needs. Nodes a rule cannot
 * split are computed whole (exact, at the price of recomputation, which `work` reports).
 */
import { MoparError } from '../../core/index.js';
import type { Graph, GraphNode } from '../ir.js';
import { concreteShape } from '../ir.js';
import type { TensorProto } from '../onnx.js';
import { ruleFor, workOf, type Need, type Range, type RuleContext } from './rules.js';

export interface NodePlan {
  node: GraphNode;
  /** 'whole' or the band of its outputs it produces. */
  out: Need;
  inputs: Need[];
  attrs?: RuleResultAttrs;
  replace?: import('./rules.js').RuleResult['replace'];
}
type RuleResultAttrs = NonNullable<import('./rules.js').RuleResult['attrs']>;

export interface PartPlan {
  index: number;
  /** Nodes this part computes, topological order. */
  nodes: NodePlan[];
  /** The band of each run output this part delivers. */
  bands: Map<string, Range>;
  /** Work of this part relative to the whole run (1 = the whole run). */
  work: number;
}

export interface RunInfo {
  g: Graph;
  /** Non-Constant nodes of the run, topological order. */
  nodes: GraphNode[];
  /** Tensors the run produces and the outside reads (or graph outputs). */
  outputs: string[];
  ctx: RuleContext;
}

export function runInfo(g: Graph, names: readonly string[]): RunInfo {
  const set = new Set<string>();
  for (const n of names) {
    if (!g.nodeByName.has(n)) throw new MoparError(`no node named '${n}' in the model`);
    set.add(n);
  }
  const nodes = g.nodes.filter((n) => set.has(n.name) && !n.isConstant);
  if (nodes.length === 0) throw new MoparError('cannot split a run with no computing nodes');
  const inRun = new Set(nodes.map((n) => n.name));
  const outputs: string[] = [];
  for (const n of nodes) {
    for (const o of n.outputs) {
      const t = g.tensors.get(o)!;
      if (t.isGraphOutput || t.consumers.some((c) => !inRun.has(c))) outputs.push(o);
    }
  }
  const ctx: RuleContext = {
    shape: (name) => concreteShape(g, name),
    opset: g.opset,
    constant: (name) => constantTensor(g, name),
  };
  return { g, nodes, outputs, ctx };
}

/** The weight behind a tensor name: an initializer or a Constant node's `value`. */
export function constantTensor(g: Graph, name: string): TensorProto | undefined {
  const init = g.initializers.get(name);
  if (init) return init;
  const t = g.tensors.get(name);
  if (t?.kind !== 'constant' || !t.producer) return undefined;
  return g.nodeByName.get(t.producer)!.proto.attribute.find((a) => a.name === 'value')?.t;
}

/** Part i's rows of a dimension of `size` split k ways (as even as integers allow). */
export function bandOf(size: number, i: number, k: number): [number, number] {
  return [Math.floor((i * size) / k), Math.floor(((i + 1) * size) / k)];
}

function merge(a: Need | undefined, b: Need): Need {
  if (a === undefined) return b;
  if (a === 'whole' || b === 'whole' || a.axis !== b.axis) return 'whole';
  return { axis: a.axis, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

/** Normalised split axis for a tensor of `rank`, or an error naming it. */
export function axisFor(axis: number, rank: number, tensor: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new MoparError(`run output '${tensor}' (rank ${rank}) has no axis ${axis} to split`);
  return a;
}

export function planPart(run: RunInfo, axis: number, index: number, parts: number): PartPlan {
  const needs = new Map<string, Need>();
  const bands = new Map<string, Range>();
  for (const o of run.outputs) {
    const shape = run.ctx.shape(o);
    const a = axisFor(axis, shape.length, o);
    if (shape[a]! < parts) throw new MoparError(`cannot split '${o}' into ${parts} parts: axis ${a} has only ${shape[a]} rows`);
    const [lo, hi] = bandOf(shape[a]!, index, parts);
    bands.set(o, { axis: a, lo, hi });
    needs.set(o, { axis: a, lo, hi });
  }
  const planned: NodePlan[] = [];
  let work = 0;
  let total = 0;
  for (let j = run.nodes.length - 1; j >= 0; j--) {
    const n = run.nodes[j]!;
    const w = workOf(n, run.ctx);
    total += w;
    let outNeed: Need | undefined;
    for (const o of n.outputs) { const x = needs.get(o); if (x) outNeed = merge(outNeed, x); }
    if (outNeed === undefined) continue;
    const rule = outNeed === 'whole' ? null : ruleFor(n);
    const res = rule && outNeed !== 'whole' ? rule(n, outNeed, run.ctx) : null;
    if (!res || res.out.hi <= res.out.lo) {
      planned.push({ node: n, out: 'whole', inputs: n.inputs.map(() => 'whole') });
      for (const i of n.inputs) needs.set(i, 'whole');
      work += w;
      continue;
    }
    planned.push({ node: n, out: res.out, inputs: res.inputs, attrs: res.attrs, replace: res.replace });
    const full = run.ctx.shape(n.outputs[0]!)[res.out.axis]!;
    work += (w * (res.out.hi - res.out.lo)) / full;
    const replaced = new Set(res.replace?.map((x) => x.index));
    n.proto.input.forEach((i, k) => { if (i && !replaced.has(k)) needs.set(i, merge(needs.get(i), res.inputs[k] ?? 'whole')); });
  }
  planned.reverse();
  return { index, nodes: planned, bands, work: total > 0 ? work / total : 1 };
}
