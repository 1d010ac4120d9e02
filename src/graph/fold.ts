/**
 * Constant subgraphs are weights. Exporters leave nodes that compute only from initializers and Constant nodes:
 * torch.onnx deduplicates identical initializers and fans the survivor out through `Identity` nodes at the top
 * of the graph (47 of them in a torchvision ResNet-50), ties an LM head to the embedding, casts, transposes or
 * reshapes weights. Left as nodes, their outputs look like activations that are live from the first node to
 * their last reader, so they cross every cut and hide every cut point.
 *
 * `foldConstants` replaces each such node by its value, stored as an initializer under the same tensor name:
 * Identity chains alias the original bytes (zero-copy), everything else is evaluated once by onnxruntime. From
 * then on every stage sees plain weights: a slice that reads one gets its own copy (graph/extract), liveness,
 * layers, cut points, memory and hand-off bytes leave them out. Shape arithmetic on *inputs* (Shape → Gather →
 * Concat → Reshape) is not constant and is left alone, so a symbolic batch dim survives.
 */
import { MoparError, errorMessage } from '../core/index.js';
import { dtypeCode, type DType } from './dtype.js';
import { buildGraph, type Graph, type GraphNode } from './ir.js';
import { encodeModel } from './onnx-io.js';
import { create, GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, ValueInfoProtoSchema, type ModelProto, type TensorProto } from './onnx.js';
import { openSession, runSession } from './runner.js';

/** Ops whose value is not a function of their inputs (or that we must not run at load time). */
const NOT_FOLDABLE = new Set([
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli',
  'If', 'Loop', 'Scan', 'SequenceConstruct', 'SequenceEmpty', 'SequenceInsert', 'SplitToSequence', 'Optional',
]);

/** A folded value may grow beyond its inputs (Expand, Tile, ConstantOfShape) by at most this, else it stays a node. */
const MAX_GROWTH_BYTES = 1 << 20;

/** Nodes (topological order) that compute only from initializers, Constant nodes and other such nodes. */
export function constantNodes(g: Graph): GraphNode[] {
  const constant = new Set<string>(g.initializers.keys());
  for (const [name, t] of g.tensors) if (t.kind === 'constant') constant.add(name);
  const out: GraphNode[] = [];
  for (const n of g.nodes) {
    if (n.isConstant || !foldableOp(n)) continue;
    if (n.inputs.length === 0 || !n.inputs.every((i) => constant.has(i))) continue;
    if (n.outputs.some((o) => g.tensors.get(o)?.isGraphOutput)) continue;
    out.push(n);
    for (const o of n.outputs) constant.add(o);
  }
  return out;
}

function foldableOp(n: GraphNode): boolean {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return false;
  if (NOT_FOLDABLE.has(n.op)) return false;
  return !n.proto.attribute.some((a) => a.g || a.graphs.length);
}

export interface FoldResult {
  /** The IR of the folded model (the proto was changed in place). */
  graph: Graph;
  /** Nodes replaced by their values. */
  folded: number;
  /** Of those, Identity nodes that became aliases of an existing weight. */
  aliases: number;
}

/** Folds constant subgraphs of `model` in place (see the file comment) and returns the new IR. */
export async function foldConstants(model: ModelProto): Promise<FoldResult> {
  let g = hoistShapeReads(model);
  const candidates = constantNodes(g);
  if (candidates.length === 0) return { graph: g, folded: 0, aliases: 0 };

  const values = new Map<string, TensorProto>();
  const weight = (name: string): TensorProto | undefined => values.get(name) ?? g.initializers.get(name) ?? constantValue(g, name);
  const computed = candidates.filter((n) => n.op !== 'Identity' || !weight(n.inputs[0]!));
  // Identity of a weight: the same bytes under another name. Others: one onnxruntime run for all of them.
  const evaluated = computed.length ? await evaluate(g, candidates, computed) : new Map<string, TensorProto>();
  const folded = new Set<string>();
  let aliases = 0;
  for (const n of candidates) {
    if (n.op === 'Identity' && !evaluated.has(n.outputs[0]!)) {
      const src = weight(n.inputs[0]!);
      if (!src) continue;
      values.set(n.outputs[0]!, create(TensorProtoSchema, { ...src, name: n.outputs[0]! }));
      folded.add(n.name);
      aliases++;
      continue;
    }
    const inBytes = n.inputs.reduce((s, i) => s + byteLength(weight(i)), 0);
    const outs = n.outputs.map((o) => evaluated.get(o));
    if (outs.some((t) => !t)) continue;
    const outBytes = outs.reduce((s, t) => s + byteLength(t), 0);
    if (outBytes > inBytes + MAX_GROWTH_BYTES) continue;
    outs.forEach((t) => values.set(t!.name, t!));
    folded.add(n.name);
  }
  if (folded.size === 0) return { graph: g, folded: 0, aliases: 0 };

  const graph = model.graph!;
  // A constant node left unfolded (it would have grown too much) whose readers were all folded is dead: drop it.
  const readers = new Map<string, number>();
  const live = new Set(g.nodes.filter((n) => !folded.has(n.name)).map((n) => n.name));
  for (const n of g.nodes) if (live.has(n.name)) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const n of [...candidates].reverse()) {
    if (folded.has(n.name) || n.outputs.some((o) => (readers.get(o) ?? 0) > 0)) continue;
    live.delete(n.name);
    folded.add(n.name);
    for (const i of n.inputs) readers.set(i, readers.get(i)! - 1);
  }
  const keep = g.nodes.filter((n) => live.has(n.name));
  const read = new Set<string>();
  for (const n of keep) for (const i of n.inputs) read.add(i);
  for (const o of g.outputs) read.add(o);
  // Constant nodes and initializers only the folded nodes read go; folded values still read become initializers.
  const readByFolded = new Set(g.nodes.filter((n) => folded.has(n.name)).flatMap((n) => n.inputs));
  const dropped = (name: string) => readByFolded.has(name) && !read.has(name);
  graph.node = keep.filter((n) => !(n.isConstant && n.outputs.every(dropped))).map((n) => n.proto);
  graph.initializer = graph.initializer.filter((t) => !dropped(t.name));
  graph.input = graph.input.filter((i) => !dropped(i.name));
  for (const n of g.nodes) {
    if (!folded.has(n.name)) continue;
    for (const o of n.outputs) if (read.has(o) && values.has(o)) graph.initializer.push(values.get(o)!);
  }
  g = hoistShapeReads(model);
  return { graph: g, folded: folded.size, aliases };
}

/**
 * Shape (and Size) nodes move right behind the producer of what they read. Exporters compute an output size
 * from the input's shape at the end of the graph (a segmentation head resizing to the image's size): read there,
 * the input image would stay live across every cut. Read early, only the small shape vector travels along.
 * Returns the IR of the reordered model (the proto's node list is reordered in place).
 */
export function hoistShapeReads(model: ModelProto): Graph {
  const g = buildGraph(model);
  const isShape = (n: GraphNode) => (n.op === 'Shape' || n.op === 'Size') && (n.domain === '' || n.domain === 'ai.onnx');
  const shapesOf = new Map<string, GraphNode[]>();
  const first: GraphNode[] = [];
  for (const n of g.nodes) {
    if (!isShape(n)) continue;
    const producer = g.tensors.get(n.inputs[0]!)?.producer;
    if (!producer) first.push(n);
    else shapesOf.set(producer, [...(shapesOf.get(producer) ?? []), n]);
  }
  if (first.length + shapesOf.size === 0) return g;
  const order: GraphNode[] = [...first];
  for (const n of g.nodes) {
    if (isShape(n)) continue;
    order.push(n, ...(shapesOf.get(n.name) ?? []));
  }
  // A Shape of a Shape's output (rare) keeps its place relative to it: fall back to the original order then.
  const seen = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of order) {
    if (!n.inputs.every((i) => seen.has(i))) return g;
    for (const o of n.outputs) seen.add(o);
  }
  model.graph!.node = order.map((n) => n.proto);
  return buildGraph(model);
}

function constantValue(g: Graph, name: string): TensorProto | undefined {
  const t = g.tensors.get(name);
  if (t?.kind !== 'constant' || !t.producer) return undefined;
  const value = g.nodeByName.get(t.producer)!.proto.attribute.find((a) => a.name === 'value')?.t;
  return value ? create(TensorProtoSchema, { ...value, name }) : undefined;
}

function byteLength(t: TensorProto | undefined): number {
  if (!t) return 0;
  if (t.rawData.length) return t.rawData.length;
  return 8 * t.dims.reduce((a, d) => a * Number(d), 1);
}

/** Runs the constant nodes as a model of their own (no inputs) and returns the outputs of `wanted` as initializers. */
async function evaluate(g: Graph, nodes: GraphNode[], wanted: GraphNode[]): Promise<Map<string, TensorProto>> {
  const chosen = new Set(nodes.map((n) => n.name));
  const produced = new Set(wanted.flatMap((n) => n.outputs));
  const inside = new Set(nodes.flatMap((n) => n.outputs));
  const needed = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) if (!inside.has(i)) needed.add(i);
  const constNodes = g.nodes.filter((n) => n.isConstant && n.outputs.some((o) => needed.has(o)));
  const fold = create(ModelProtoSchema, {
    irVersion: g.model.irVersion, opsetImport: g.model.opsetImport, functions: g.model.functions,
    graph: create(GraphProtoSchema, {
      name: 'constants',
      node: [...constNodes, ...g.nodes.filter((n) => chosen.has(n.name))].map((n) => n.proto),
      initializer: [...needed].map((i) => g.initializers.get(i)).filter((t): t is TensorProto => !!t),
      output: [...produced].map((name) => create(ValueInfoProtoSchema, { name })),
    }),
  });
  const out = new Map<string, TensorProto>();
  let session;
  try {
    session = await openSession(encodeModel(fold), { optimization: 'disabled', memArena: false });
  } catch (err) {
    throw new MoparError(`cannot evaluate the model's constant subgraphs: ${errorMessage(err)}`);
  }
  try {
    const res = await runSession(session, {});
    for (const [name, t] of Object.entries(res)) {
      if (t.dtype === 'string') continue;
      const data = t.data as ArrayBufferView;
      const rawData = new Uint8Array(data.byteLength);
      rawData.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      out.set(name, create(TensorProtoSchema, { name, dataType: dtypeCode(t.dtype as DType), dims: t.dims.map(BigInt), rawData }));
    }
  } finally {
    await session.release();
  }
  return out;
}
