/** Facts about an ONNX file, as `mopar inspect` reports them. */
import { errorMessage } from '../core/index.js';
import { dtypeFromCode } from './dtype.js';
import { constantNodes } from './fold.js';
import { weightReaders } from './weight-readers.js';
import type { Graph } from './ir.js';
import type { GraphProto, TensorProto } from './onnx.js';
import { openSession } from './runner.js';
import { intValues } from './split/tensor-data.js';

export interface TensorFacts {
  name: string;
  dtype: string;
  /** Declared shape; symbolic dims are strings. `[]` is a scalar when `shapeKnown`, else nothing was declared. */
  shape: (number | string)[];
  shapeKnown: boolean;
}

export interface ModelFacts {
  producer: string;
  irVersion: number;
  opsets: Record<string, number>;
  /** Elements in all initializers and Constant-node tensors (subgraphs included). */
  params: number;
  paramBytes: number;
  nodes: number;
  ops: Record<string, number>;
  inputs: TensorFacts[];
  outputs: TensorFacts[];
  subgraphNodes: number;
  /** 'dynamic' when every input's leading dim is symbolic and no node fixes it, else the fixed batch. */
  batch: 'dynamic' | number;
  /** Why the batch is fixed although the inputs declare it symbolic (the node that hard-codes it). */
  batchFixedBy?: string;
  /** Nodes that compute only from constants (folded into weights before partitioning). */
  constantSubgraphs: number;
  /** Symbolic dim names of the inputs and outputs. */
  symbolicDims: string[];
  /** Weights read by more than one computing node (directly or through constant nodes): deduplicated or tied. */
  sharedWeights: number;
  /** Of those, weights read by different kinds of ops (an LM head tied to the embedding: Gather and MatMul). */
  tiedWeights: string[];
}

function elements(t: TensorProto): number {
  return t.dims.reduce((a, d) => a * Number(d), 1);
}

function bytesOf(t: TensorProto): number {
  if (t.rawData.length) return t.rawData.length;
  try {
    const size = { float32: 4, float64: 8, int64: 8, int32: 4, float16: 2, bfloat16: 2, uint64: 8 }[dtypeFromCode(t.dataType) as string] ?? 1;
    return elements(t) * size;
  } catch { return 0; }
}

/**
 * Parameters: initializers and Constant-node `value` tensors (and value_floats/ints…), subgraphs included. Other
 * tensor attributes (ConstantOfShape's fill value) are not weights.
 */
function forEachParam(g: GraphProto, fn: (elements: number, bytes: number) => void): void {
  for (const t of g.initializer) fn(elements(t), bytesOf(t));
  for (const s of g.sparseInitializer) if (s.values) fn(elements(s.values), bytesOf(s.values));
  for (const node of g.node) {
    for (const a of node.attribute) {
      if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
        if (a.t) fn(elements(a.t), bytesOf(a.t));
        if (a.name === 'value_floats') fn(a.floats.length, 4 * a.floats.length);
        if (a.name === 'value_ints') fn(a.ints.length, 8 * a.ints.length);
        if (a.name === 'value_float') fn(1, 4);
        if (a.name === 'value_int') fn(1, 8);
      }
      if (a.g) forEachParam(a.g, fn);
      for (const sub of a.graphs) forEachParam(sub, fn);
    }
  }
}

function countSubgraphNodes(g: GraphProto): number {
  let n = 0;
  for (const node of g.node) for (const a of node.attribute) for (const s of [...(a.g ? [a.g] : []), ...a.graphs]) n += s.node.length + countSubgraphNodes(s);
  return n;
}

export function inspectGraph(g: Graph): ModelFacts {
  let params = 0;
  let paramBytes = 0;
  forEachParam(g.model.graph!, (n, b) => { params += n; paramBytes += b; });
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  const facts = (name: string): TensorFacts => {
    const t = g.tensors.get(name)!;
    return { name, dtype: t.dtype ?? 'unknown', shape: t.shape ?? [], shapeKnown: t.shape !== undefined };
  };
  return {
    producer: [g.model.producerName, g.model.producerVersion].filter(Boolean).join(' '),
    irVersion: Number(g.model.irVersion),
    opsets: Object.fromEntries(g.model.opsetImport.map((o) => [o.domain || 'ai.onnx', Number(o.version)])),
    params,
    paramBytes,
    nodes: g.nodes.length,
    ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    inputs: g.inputs.map(facts),
    outputs: g.outputs.map(facts),
    subgraphNodes: countSubgraphNodes(g.model.graph!),
    ...batchFacts(g),
    constantSubgraphs: constantNodes(g).length,
    symbolicDims: [...new Set([...g.inputs, ...g.outputs].flatMap((n) => (g.tensors.get(n)?.shape ?? [])
      .filter((d): d is string => typeof d === 'string' && !/^\?\d*$/.test(d))))],
    ...weightSharing(g),
  };
}

/** The batch as the file declares it, and a Reshape to a constant [N, …] that pins a symbolic one. */
function batchFacts(g: Graph): { batch: 'dynamic' | number; batchFixedBy?: string } {
  const leading = g.inputs.map((i) => g.tensors.get(i)?.shape?.[0]);
  const fixed = leading.find((d): d is number => typeof d === 'number');
  if (fixed !== undefined || leading.length === 0) return { batch: fixed ?? 1 };
  const constant = new Set<string>(g.initializers.keys());
  for (const [name, t] of g.tensors) if (t.kind === 'constant') constant.add(name);
  for (const n of constantNodes(g)) for (const o of n.outputs) constant.add(o);
  for (const n of g.nodes) {
    if (n.op !== 'Reshape' || constant.has(n.inputs[0]!) || !constant.has(n.inputs[1] ?? '')) continue;
    const target = constValue(g, n.inputs[1]!);
    if (target && target[0]! > 0) {
      return { batch: target[0]!, batchFixedBy: `Reshape '${n.name}' to [${target.join(', ')}] fixes the batch at ${target[0]}` };
    }
  }
  return { batch: 'dynamic' };
}

function constValue(g: Graph, name: string): number[] | undefined {
  const t = g.initializers.get(name) ?? (() => {
    const producer = g.tensors.get(name)?.producer;
    return producer ? g.nodeByName.get(producer)?.proto.attribute.find((a) => a.name === 'value')?.t : undefined;
  })();
  try { return t ? intValues(t) : undefined; } catch { return undefined; }
}

/** Weights several computing nodes read (through constant nodes too), and those read by more than one op type. */
function weightSharing(g: Graph): { sharedWeights: number; tiedWeights: string[] } {
  let sharedWeights = 0;
  const tiedWeights: string[] = [];
  for (const [w, at] of weightReaders(g)) {
    if (at.length < 2 || elementsOf(g, w) < 2) continue;
    sharedWeights++;
    if (new Set(at.map((i) => g.nodes[i]!.op)).size > 1) tiedWeights.push(w);
  }
  return { sharedWeights, tiedWeights };
}

function elementsOf(g: Graph, name: string): number {
  const s = g.tensors.get(name)?.shape;
  return s ? s.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1) : 0;
}

/**
 * What onnxruntime says when it loads the model: [] when it can run it, else the ops it has no kernel for (or
 * its one-line error when it names none).
 */
export async function runtimeProblems(model: string | Uint8Array): Promise<string[]> {
  try {
    const s = await openSession(model, { optimization: 'disabled' });
    await s.release();
    return [];
  } catch (err) {
    const msg = errorMessage(err);
    const ops = [...msg.matchAll(/(?:implementation for|No Op registered for|no kernel for) '?([A-Za-z0-9_]+)/gi)].map((m) => m[1]!);
    return ops.length ? [...new Set(ops)] : [msg.split('\n')[0]!.slice(0, 300)];
  }
}
