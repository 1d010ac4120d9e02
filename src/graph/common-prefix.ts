/**
 * What several models share: the longest common prefix of their graphs in topological order, node by node, by
 * content — op, domain, attributes, input wiring, and the weights' bytes (sha256), not their names. Variants of
 * one backbone fine-tuned at the last stage share everything up to the first node whose weights (or wiring)
 * differ; that node is where every one of them is cut (Graft's re-alignment: one boundary for all).
 */
import { sha256 } from '../core/index.js';
import type { Graph, GraphNode } from './ir.js';
import { AttributeProtoSchema, TensorProtoSchema, clone, toBinary, type AttributeProto, type TensorProto } from './onnx.js';
import { rawBytes } from './split/tensor-data.js';

export interface CommonPrefix {
  /** Nodes shared (the same count in every graph). */
  length: number;
  /** Per graph: the prefix's node names, in topological order. */
  nodes: string[][];
  /** Per graph: the first node that differs (undefined where that graph is all prefix). */
  divergence: Array<string | undefined>;
  /**
   * Per graph: its name → the first graph's name, for every tensor the prefix produces whose name differs
   * (the shared function carries the first graph's names, so each remainder reads those).
   */
  rename: Array<Map<string, string>>;
}

/**
 * The longest common prefix of `graphs` (at least two). The graphs' inputs must carry the same names (they are
 * the models' interface); a prefix node producing a model output must give it the same name in every graph.
 */
export function commonPrefix(graphs: readonly Graph[]): CommonPrefix {
  const ids = graphs.map(() => new Map<string, string>());
  const weightIds = new Map<TensorProto, string>();
  const weightId = (t: TensorProto): string => {
    let id = weightIds.get(t);
    if (!id) {
      id = `w:${t.dataType}:${t.dims.join('x')}:${contentHash(t)}`;
      weightIds.set(t, id);
    }
    return id;
  };
  const idOf = (k: number, name: string): string => {
    if (name === '') return '';
    const known = ids[k]!.get(name);
    if (known) return known;
    const g = graphs[k]!;
    const init = g.initializers.get(name);
    // Inputs are matched by name (the interface); anything not yet produced never matches another graph's.
    const id = init ? weightId(init) : g.inputs.includes(name) ? `in:${name}` : `?${k}:${name}`;
    ids[k]!.set(name, id);
    return id;
  };
  const sameInputs = graphs.every((g) => g.inputs.length === graphs[0]!.inputs.length && g.inputs.every((n, i) => n === graphs[0]!.inputs[i]));
  const n = Math.min(...graphs.map((g) => g.nodes.length));
  let length = 0;
  if (sameInputs) {
    for (; length < n; length++) {
      const at = graphs.map((g) => g.nodes[length]!);
      const keys = at.map((node, k) => nodeKey(node, (t) => idOf(k, t)));
      if (keys.some((key) => key !== keys[0])) break;
      // A model output keeps its name (it is the model's interface, not renamed like inner tensors).
      const outs = at[0]!.outputs;
      const outputsAgree = outs.every((o, slot) => {
        const isOut = graphs.some((g, k) => g.tensors.get(at[k]!.outputs[slot] ?? '')?.isGraphOutput);
        return !isOut || at.every((node) => node.outputs[slot] === o);
      });
      if (!outputsAgree || at.some((node) => node.outputs.length !== outs.length)) break;
      at.forEach((node, k) => node.outputs.forEach((o, slot) => ids[k]!.set(o, `n${length}:${slot}`)));
    }
  }
  const rename = graphs.map((g, k) => {
    const m = new Map<string, string>();
    for (let i = 0; i < length; i++) {
      g.nodes[i]!.outputs.forEach((o, slot) => {
        const first = graphs[0]!.nodes[i]!.outputs[slot]!;
        if (k > 0 && o !== first) m.set(o, first);
      });
    }
    return m;
  });
  return {
    length,
    nodes: graphs.map((g) => g.nodes.slice(0, length).map((x) => x.name)),
    divergence: graphs.map((g) => g.nodes[length]?.name),
    rename,
  };
}

/** A node's content: everything but its own and its tensors' names. */
function nodeKey(node: GraphNode, idOf: (tensor: string) => string): string {
  const p = node.proto;
  return JSON.stringify([p.domain, p.opType, p.input.map(idOf), p.output.length, p.attribute.map(attrKey)]);
}

function attrKey(a: AttributeProto): string {
  if (!a.t && !a.tensors.length) return sha256(toBinary(AttributeProtoSchema, a));
  // A tensor attribute (a Constant's value) is its bytes, whatever the tensor is called.
  const c = clone(AttributeProtoSchema, a);
  const t = c.t;
  c.t = undefined;
  c.tensors = [];
  return `${sha256(toBinary(AttributeProtoSchema, c))}:${t ? `${t.dataType}:${t.dims.join('x')}:${contentHash(t)}` : ''}:${a.tensors.map(contentHash).join(',')}`;
}

/** A tensor's bytes by content (sha256), its name left out: two weights with the same bytes hash alike. */
export function contentHash(t: TensorProto): string {
  try {
    return sha256(rawBytes(t));
  } catch {
    // A type rawBytes does not read (strings; bfloat16/float8 kept in int32_data): the whole tensor, its name left
    // out, stands for its content — never something two different tensors could share.
    const c = clone(TensorProtoSchema, t);
    c.name = '';
    return `proto:${sha256(toBinary(TensorProtoSchema, c))}`;
  }
}
