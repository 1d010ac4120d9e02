/** Facts about an ONNX file, as `mopar inspect` reports them. */
import { dtypeFromCode } from './dtype.js';
import type { Graph } from './ir.js';
import { forEachTensor } from './onnx-io.js';
import type { GraphProto, TensorProto } from './onnx.js';

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

function countSubgraphNodes(g: GraphProto): number {
  let n = 0;
  for (const node of g.node) for (const a of node.attribute) for (const s of [...(a.g ? [a.g] : []), ...a.graphs]) n += s.node.length + countSubgraphNodes(s);
  return n;
}

export function inspectGraph(g: Graph): ModelFacts {
  let params = 0;
  let paramBytes = 0;
  forEachTensor(g.model.graph!, (t) => { params += elements(t); paramBytes += bytesOf(t); });
  for (const n of g.nodes) {
    for (const a of n.proto.attribute) {
      if (n.op !== 'Constant') continue;
      if (a.name === 'value_floats') { params += a.floats.length; paramBytes += 4 * a.floats.length; }
      if (a.name === 'value_ints') { params += a.ints.length; paramBytes += 8 * a.ints.length; }
      if (a.name === 'value_float' || a.name === 'value_int') { params += 1; paramBytes += a.name === 'value_int' ? 8 : 4; }
    }
  }
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
  };
}
