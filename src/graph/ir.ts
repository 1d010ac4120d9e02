/**
 * The graph IR every later stage works on: nodes in topological order, and every tensor with its producer,
 * consumers, element type and (once known) concrete shape. Plain data over the protobuf model it indexes.
 */
import { MinHeap, MoparError } from '../core/index.js';
import { dtypeFromCode, type DType } from './dtype.js';
import { defaultOpset } from './onnx-io.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './onnx.js';
import type { InputRanges } from './input-shapes.js';

export type Dim = number | string;

export type TensorKind = 'input' | 'initializer' | 'constant' | 'activation';

export interface TensorInfo {
  name: string;
  kind: TensorKind;
  dtype?: DType;
  /** Declared or inferred shape; strings are symbolic dims. Undefined when unknown. */
  shape?: Dim[];
  /**
   * For a model with a dynamic batch: `shape` with the dims that follow the batch named (e.g. ['batch', 64, 56,
   * 56]; a dim the batch is folded into is named like 'batch_x12'). Set by shape inference (graph/shapes.ts).
   * Dims that follow a ranged input dim (Graph.ranges) are named too.
   */
  symbolicShape?: Dim[];
  /** Name of the producing node (for 'constant' and 'activation'). */
  producer?: string;
  /** Names of consuming nodes, in topological order (a node appears once even if it reads twice). */
  consumers: string[];
  isGraphOutput: boolean;
}

export interface GraphNode {
  /** Unique within the graph (generated as `<op>_<index>` when the file has none or a duplicate). */
  name: string;
  op: string;
  domain: string;
  /** Position in topological order. */
  index: number;
  /** Non-empty input names, including outer-scope names its subgraphs read (If/Loop/Scan bodies). */
  inputs: string[];
  outputs: string[];
  /** A Constant node (no inputs): its tensor is a weight, copied into every piece that needs it. */
  isConstant: boolean;
  proto: NodeProto;
}

export interface Graph {
  model: ModelProto;
  opset: number;
  nodes: GraphNode[];
  nodeByName: Map<string, GraphNode>;
  tensors: Map<string, TensorInfo>;
  /** Graph inputs that are not initializers (what a caller feeds). */
  inputs: string[];
  outputs: string[];
  initializers: Map<string, TensorProto>;
  /**
   * The symbolic batch, once shapes are inferred: `dynamic` when every input's leading dim is symbolic and the
   * graph ran at another batch (tensors then carry `symbolicShape`); otherwise why not (`fixed`).
   */
  batch?: { dynamic: true; name: string } | { dynamic: false; why: string };
  /**
   * Input dims given as ranges (`--input NAME=LO..HI,…`): shapes are at HI, and the tensors whose dims follow a
   * ranged dim carry them named in `symbolicShape`, so function files keep them symbolic (graph/shapes.ts).
   */
  ranges?: InputRanges;
}

/** Builds the IR. Renames nothing in tensors; fills missing/duplicate node names in the proto itself. */
export function buildGraph(model: ModelProto): Graph {
  const g = model.graph;
  if (!g) throw new MoparError('model has no graph');
  const initializers = new Map<string, TensorProto>();
  for (const t of g.initializer) initializers.set(t.name, t);

  const order = topoOrder(g);
  const used = new Set<string>();
  const fileNames = new Set(g.node.map((n) => n.name));
  const nodes: GraphNode[] = order.map((proto, index) => {
    let name = proto.name;
    if (!name || used.has(name)) {
      let i = index;
      do name = `${proto.opType}_${i++}`; while (used.has(name) || fileNames.has(name));
      proto.name = name;
    }
    used.add(name);
    const inputs = unique([...proto.input.filter((s) => s !== ''), ...outerRefs(proto)]);
    return {
      name, op: proto.opType, domain: proto.domain, index, inputs,
      outputs: proto.output.filter((s) => s !== ''),
      isConstant: proto.opType === 'Constant' && (proto.domain === '' || proto.domain === 'ai.onnx') && inputs.length === 0,
      proto,
    };
  });
  // Keep the proto's node list in the same (topological) order as the IR.
  g.node = order;

  const tensors = new Map<string, TensorInfo>();
  const get = (name: string, kind: TensorKind): TensorInfo => {
    let t = tensors.get(name);
    if (!t) { t = { name, kind, consumers: [], isGraphOutput: false }; tensors.set(name, t); }
    return t;
  };
  for (const [name, t] of initializers) {
    const info = get(name, 'initializer');
    info.dtype = safeDtype(t.dataType);
    info.shape = t.dims.map(Number);
  }
  const inputs: string[] = [];
  for (const vi of g.input) {
    if (initializers.has(vi.name)) continue;
    inputs.push(vi.name);
    applyValueInfo(get(vi.name, 'input'), vi);
  }
  for (const n of nodes) {
    for (const o of n.outputs) {
      const info = get(o, n.isConstant ? 'constant' : 'activation');
      info.producer = n.name;
      if (n.isConstant) applyConstantInfo(info, n.proto);
    }
  }
  for (const n of nodes) {
    for (const i of n.inputs) {
      const info = tensors.get(i);
      if (!info) throw new MoparError(`node '${n.name}' (${n.op}) reads tensor '${i}' that nothing produces`);
      if (info.consumers[info.consumers.length - 1] !== n.name) info.consumers.push(n.name);
    }
  }
  for (const vi of [...g.valueInfo, ...g.output]) {
    const info = tensors.get(vi.name);
    if (info) applyValueInfo(info, vi);
  }
  const outputs = g.output.map((o) => o.name);
  for (const o of outputs) {
    const info = tensors.get(o);
    if (!info) throw new MoparError(`graph output '${o}' is produced by no node`);
    info.isGraphOutput = true;
  }
  const opset = defaultOpset(model) ?? 0;
  return { model, opset, nodes, nodeByName: new Map(nodes.map((n) => [n.name, n])), tensors, inputs, outputs, initializers };
}

function safeDtype(code: number): DType | undefined {
  try { return dtypeFromCode(code); } catch { return undefined; }
}

function applyValueInfo(info: TensorInfo, vi: ValueInfoProto): void {
  const tt = vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
  if (!tt) return;
  if (tt.elemType) info.dtype ??= safeDtype(tt.elemType);
  if (tt.shape && !info.shape) {
    info.shape = tt.shape.dim.map((d, i) =>
      d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : `?${i}`);
  }
}

function applyConstantInfo(info: TensorInfo, node: NodeProto): void {
  const a = node.attribute[0];
  if (!a) return;
  if (a.t) { info.dtype = safeDtype(a.t.dataType); info.shape = a.t.dims.map(Number); return; }
  switch (a.name) {
    case 'value_float': info.dtype = 'float32'; info.shape = []; break;
    case 'value_int': info.dtype = 'int64'; info.shape = []; break;
    case 'value_floats': info.dtype = 'float32'; info.shape = [a.floats.length]; break;
    case 'value_ints': info.dtype = 'int64'; info.shape = [a.ints.length]; break;
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Outer-scope tensor names that a node's subgraphs read (they are real inputs of the node). */
export function outerRefs(node: NodeProto): string[] {
  const refs: string[] = [];
  for (const a of node.attribute) {
    for (const sub of [...(a.g ? [a.g] : []), ...a.graphs]) refs.push(...freeNames(sub));
  }
  return unique(refs);
}

function freeNames(g: GraphProto): string[] {
  const local = new Set<string>([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name)]);
  const free: string[] = [];
  for (const n of g.node) {
    for (const i of [...n.input, ...outerRefs(n)]) if (i && !local.has(i)) free.push(i);
    for (const o of n.output) local.add(o);
  }
  return free;
}

/** Kahn's algorithm, stable with respect to file order (most files are already sorted). */
function topoOrder(g: GraphProto): NodeProto[] {
  const available = new Set<string>([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), '']);
  const producedBy = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producedBy.set(o, i)));
  const deps = g.node.map((n) => {
    const ins = [...n.input, ...outerRefs(n)].filter((i) => !available.has(i));
    return new Set(ins.map((i) => producedBy.get(i)).filter((x): x is number => x !== undefined));
  });
  const dependents: number[][] = g.node.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d]!.push(i)));
  const remaining = deps.map((d) => d.size);
  const order: NodeProto[] = [];
  // Min-heap on file position: O(n log n) even for wide graphs with thousands of ready nodes.
  const ready = new MinHeap();
  remaining.forEach((r, i) => r === 0 && ready.push(i));
  while (ready.size) {
    const i = ready.pop();
    order.push(g.node[i]!);
    for (const d of dependents[i]!) if (--remaining[d]! === 0) ready.push(d);
  }
  if (order.length !== g.node.length) {
    const stuck = g.node.find((_, i) => remaining[i]! > 0);
    throw new MoparError(`graph has a cycle or reads an undefined tensor (at node '${stuck?.name || stuck?.opType}')`);
  }
  return order;
}

/** Concrete shape of a tensor, or an error naming it (after shape inference every activation has one). */
export function concreteShape(g: Graph, name: string): number[] {
  const s = g.tensors.get(name)?.shape;
  if (!s || s.some((d) => typeof d !== 'number')) throw new MoparError(`shape of tensor '${name}' is not known`);
  return s as number[];
}
