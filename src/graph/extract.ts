/**
 * Cuts any set of nodes out as a standalone, valid ONNX model: inputs are the tensors it reads from outside,
 * outputs the tensors it produces for outside (or for the caller), and it carries exactly the initializers and
 * Constant nodes it uses (a weight used by two pieces goes into both) with the original opset imports.
 */
import { MoparError } from '../core/index.js';
import { dtypeCode } from './dtype.js';
import type { Graph, GraphNode } from './ir.js';
import {
  create, ModelProtoSchema, GraphProtoSchema, ValueInfoProtoSchema, TypeProtoSchema,
  type ModelProto, type ValueInfoProto,
} from './onnx.js';

export interface Piece {
  /** Node names in topological order (Constant nodes pulled in included). */
  nodes: string[];
  inputs: string[];
  outputs: string[];
  initializers: string[];
}

export interface ExtractOptions {
  /** Extra tensors produced inside to expose as outputs (e.g. for a caller that needs them). */
  extraOutputs?: readonly string[];
  /** Only expose these outputs (default: everything consumed outside the piece, plus graph outputs). */
  onlyOutputs?: readonly string[];
  graphName?: string;
}

/** Computes the interface of a piece without building it. */
export function pieceOf(g: Graph, nodeNames: Iterable<string>, opts: ExtractOptions = {}): Piece {
  const chosen = new Set<string>();
  for (const n of nodeNames) {
    if (!g.nodeByName.has(n)) throw new MoparError(`no node named '${n}' in the model`);
    chosen.add(n);
  }
  // Constant nodes are weights: pull in any the piece reads but does not contain. A pulled-in Constant is a
  // private copy: it never becomes an output of this piece (the piece that owns it exposes it if needed).
  // Nodes computing only from weights (torch.onnx's Identity aliases, Casts, Transposes of weights) are folded
  // into initializers when the model is opened (fold.ts), so they are copied like any initializer.
  const pulled = new Set<string>();
  for (const name of [...chosen]) {
    for (const i of g.nodeByName.get(name)!.inputs) {
      const t = g.tensors.get(i)!;
      if (t.kind === 'constant' && t.producer && !chosen.has(t.producer)) { chosen.add(t.producer); pulled.add(t.producer); }
    }
  }
  const nodes = g.nodes.filter((n) => chosen.has(n.name));
  const produced = new Set<string>();
  for (const n of nodes) for (const o of n.outputs) produced.add(o);
  const inputs: string[] = [];
  const initializers: string[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (produced.has(i) || seen.has(i)) continue;
      seen.add(i);
      if (g.initializers.has(i)) initializers.push(i);
      else inputs.push(i);
    }
  }
  let outputs: string[];
  if (opts.onlyOutputs) {
    for (const o of opts.onlyOutputs) {
      if (!produced.has(o)) throw new MoparError(`piece does not produce requested output '${o}'`);
    }
    outputs = [...opts.onlyOutputs];
  } else {
    const extra = new Set(opts.extraOutputs ?? []);
    outputs = [];
    for (const n of nodes) {
      if (pulled.has(n.name)) continue;
      if (n.isConstant && !g.tensors.get(n.outputs[0]!)!.isGraphOutput && !extra.has(n.outputs[0]!)) continue;
      for (const o of n.outputs) {
        const t = g.tensors.get(o)!;
        if (t.isGraphOutput || extra.has(o) || t.consumers.some((c) => !chosen.has(c))) outputs.push(o);
      }
    }
  }
  return { nodes: nodes.map((n) => n.name), inputs, outputs, initializers };
}

/** Builds the standalone model for a piece. Tensor protos are shared, not copied (zero-copy weights). */
export function extractModel(g: Graph, nodeNames: Iterable<string>, opts: ExtractOptions = {}): { model: ModelProto; piece: Piece } {
  const piece = pieceOf(g, nodeNames, opts);
  // Only weights (copied into their readers) or dead nodes: callers skip such a piece (check pieceOf first).
  if (piece.outputs.length === 0) {
    throw new MoparError(`piece (${piece.nodes.slice(0, 3).join(', ')}${piece.nodes.length > 3 ? ', …' : ''}) produces nothing used outside it`);
  }
  const src = g.model.graph!;
  const model = create(ModelProtoSchema, {
    irVersion: g.model.irVersion,
    opsetImport: g.model.opsetImport,
    producerName: 'mopar',
    producerVersion: g.model.producerVersion,
    domain: g.model.domain,
    modelVersion: g.model.modelVersion,
    functions: g.model.functions,
    graph: create(GraphProtoSchema, {
      name: opts.graphName ?? src.name,
      node: piece.nodes.map((n) => g.nodeByName.get(n)!.proto),
      initializer: piece.initializers.map((i) => g.initializers.get(i)!),
      input: piece.inputs.map((i) => valueInfo(g, i)),
      output: piece.outputs.map((o) => valueInfo(g, o)),
    }),
  });
  return { model, piece };
}

/** A typed ValueInfo for a tensor, with its concrete shape when known. */
export function valueInfo(g: Graph, name: string): ValueInfoProto {
  const t = g.tensors.get(name);
  if (!t?.dtype) return create(ValueInfoProtoSchema, { name });
  const original = [...g.model.graph!.input, ...g.model.graph!.output, ...g.model.graph!.valueInfo].find((v) => v.name === name);
  // Keep symbolic dims of the original interface where the model declared them (batch stays dynamic).
  if (original?.type && (t.kind === 'input' || t.isGraphOutput)) return create(ValueInfoProtoSchema, { name, type: original.type });
  const type = create(TypeProtoSchema, {
    value: {
      case: 'tensorType',
      value: {
        elemType: dtypeCode(t.dtype),
        shape: t.shape ? { dim: t.shape.map((d) => (typeof d === 'number'
          ? { value: { case: 'dimValue' as const, value: BigInt(d) } }
          : { value: { case: 'dimParam' as const, value: d } })) } : undefined,
      },
    },
  });
  return create(ValueInfoProtoSchema, { name, type });
}

export function nodesOf(g: Graph, names: Iterable<string>): GraphNode[] {
  const set = new Set(names);
  return g.nodes.filter((n) => set.has(n.name));
}

/**
 * Gives a piece's graph inputs and outputs the symbolic batch where the whole model has one (the shapes written
 * by extraction and splitting are measured at batch 1), so every function file runs at any batch; likewise the
 * dims that follow a ranged input dim (`--input NAME=LO..HI`, measured at HI). A split part
 * `<tensor>.part<i>of<k>` follows its tensor except on the split axis (its own size there).
 */
export function withSymbolicBatch(g: Graph, model: ModelProto): ModelProto {
  if (!g.batch?.dynamic && !g.ranges) return model;
  for (const vi of [...model.graph!.input, ...model.graph!.output]) {
    const base = vi.name.replace(/\.part\d+of\d+$/, '');
    const t = g.tensors.get(base);
    const sym = t?.symbolicShape;
    const tt = vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
    const dims = tt?.shape?.dim;
    if (!sym || !t.shape || !dims || dims.length !== sym.length) continue;
    dims.forEach((d, i) => {
      const s = sym[i];
      if (typeof s === 'string' && d.value.case === 'dimValue' && Number(d.value.value) === t.shape![i]) {
        d.value = { case: 'dimParam', value: s };
      }
    });
  }
  return model;
}
