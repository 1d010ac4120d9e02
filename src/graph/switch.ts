/**
 * One ONNX model that holds a shared prefix and several heads, and runs only the head a selector input picks
 * (issue 30: a fleet of fine-tuned variants served by one function). The heads sit in a chain of `If` nodes on
 * `Equal(selector, k)`; onnxruntime runs only the branch taken, so a request costs the prefix plus its own head,
 * while the instance holds every weight once and stays warm on the sum of all variants' traffic.
 *
 * Each head is a standalone model whose inputs are tensors of the prefix (or model inputs): inside its branch
 * those become outer-scope references, and every name the head defines is prefixed `h<k>/` so that heads with
 * the same tensor names (variants of one graph) do not collide. A weight several heads hold with the same bytes
 * is stored once, in the main graph.
 */
import { MoparError, sha256 } from '../core/index.js';
import {
  clone, create, toBinary, AttributeProto_AttributeType, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema,
  TensorProtoSchema, TypeProtoSchema, ValueInfoProtoSchema,
  type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './onnx.js';
import { contentHash } from './common-prefix.js';

export interface SwitchOptions {
  /** Name of the int64 scalar input that picks the head (0 … heads − 1). */
  selector: string;
  graphName?: string;
}

/**
 * `prefix` followed by `heads[selector]`. Every head must produce the same outputs (names and element types) and
 * read only the prefix's outputs and inputs; the result's outputs are the heads' outputs, in head 0's order. A
 * selector outside 0 … heads − 1 runs the last head (the runtime feeds it from the manifest, never the client).
 */
export function switchModel(prefix: ModelProto, heads: readonly ModelProto[], opts: SwitchOptions): ModelProto {
  if (heads.length < 2) throw new MoparError('a switch needs at least two heads');
  const pg = prefix.graph!;
  const opset = defaultOpset(prefix);
  const outputs = heads[0]!.graph!.output.map((o) => o.name);
  const available = new Set([...pg.input.map((i) => i.name), ...pg.output.map((o) => o.name)]);
  if (available.has(opts.selector)) throw new MoparError(`the selector '${opts.selector}' is already a tensor of the prefix`);
  heads.forEach((h, k) => {
    const g = h.graph!;
    if (defaultOpset(h) !== opset) throw new MoparError(`head ${k} uses opset ${defaultOpset(h)}, the prefix ${opset}: a switch needs one opset`);
    const outs = g.output.map((o) => `${o.name}:${elemType(o)}`).join(',');
    if (outs !== heads[0]!.graph!.output.map((o) => `${o.name}:${elemType(o)}`).join(',')) {
      throw new MoparError(`head ${k} produces [${g.output.map((o) => o.name).join(', ')}], head 0 [${outputs.join(', ')}]: a switch needs the same outputs`);
    }
    for (const i of g.input) if (!available.has(i.name)) throw new MoparError(`head ${k} reads '${i.name}', which the prefix does not produce`);
    for (const n of g.node) {
      if (n.attribute.some((a) => a.g || a.graphs.length)) throw new MoparError(`head ${k} has a node with a subgraph (${n.opType} '${n.name}'): not supported in a switch`);
    }
  });

  // Weights with the same bytes in several heads: one copy, in the main graph (visible inside every branch).
  const seen = new Map<string, number>();
  const keyOf = new Map<TensorProto, string>();
  for (const h of heads) {
    for (const t of h.graph!.initializer) {
      const key = tensorKey(t);
      keyOf.set(t, key);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  const hoisted = new Map<string, TensorProto>();
  const hoistedName = (key: string) => `mopar.switch/w${sha256(key).slice(0, 16)}`;

  const branches = heads.map((h, k) => {
    const g = h.graph!;
    const outer = new Set(g.input.map((i) => i.name));
    const rename = new Map<string, string>();
    const own = (name: string) => (name === '' || outer.has(name) ? name : `h${k}/${name}`);
    const initializer: TensorProto[] = [];
    for (const t of g.initializer) {
      const key = keyOf.get(t)!;
      if ((seen.get(key) ?? 0) > 1) {
        const to = hoistedName(key);
        if (!hoisted.has(to)) hoisted.set(to, renamedTensor(t, to));
        rename.set(t.name, to);
      } else {
        rename.set(t.name, own(t.name));
        initializer.push(renamedTensor(t, own(t.name)));
      }
    }
    for (const n of g.node) for (const o of n.output) if (o !== '') rename.set(o, own(o));
    const ref = (name: string) => rename.get(name) ?? name;
    const node = g.node.map((n) => {
      const c = clone(NodeProtoSchema, n);
      c.name = `h${k}/${n.name}`;
      c.input = n.input.map(ref);
      c.output = n.output.map(ref);
      return c;
    });
    return create(GraphProtoSchema, {
      name: `head${k}`, node, initializer,
      output: g.output.map((o) => withName(o, ref(o.name))),
    });
  });

  // cond_k = (selector == k), computed once in the main graph; the If chain reads them from the outer scope.
  const nodes: NodeProto[] = [...pg.node];
  const inits: TensorProto[] = [...pg.initializer, ...hoisted.values()];
  const conds = heads.slice(0, -1).map((_, k) => {
    const constant = `mopar.switch/k${k}`;
    inits.push(create(TensorProtoSchema, { name: constant, dataType: INT64, dims: [], int64Data: [BigInt(k)] }));
    const cond = `mopar.switch/is${k}`;
    nodes.push(create(NodeProtoSchema, { name: `mopar.switch/Equal${k}`, opType: 'Equal', input: [opts.selector, constant], output: [cond] }));
    return cond;
  });
  const outType = (name: string, at: number) => mergedType(heads.map((h) => h.graph!.output[at]!), name);
  let elseBranch: GraphProto = branches[heads.length - 1]!;
  for (let k = heads.length - 2; k >= 0; k--) {
    const names = outputs.map((o) => (k === 0 ? o : `mopar.switch/s${k}/${o}`));
    const ifNode = create(NodeProtoSchema, {
      name: `mopar.switch/If${k}`, opType: 'If', input: [conds[k]!], output: names,
      attribute: [
        { name: 'then_branch', type: AttributeProto_AttributeType.GRAPH, g: branches[k]! },
        { name: 'else_branch', type: AttributeProto_AttributeType.GRAPH, g: elseBranch },
      ],
    });
    if (k === 0) nodes.push(ifNode);
    else elseBranch = create(GraphProtoSchema, { name: `switch${k}`, node: [ifNode], output: names.map((n, i) => outType(n, i)) });
  }

  const selector = create(ValueInfoProtoSchema, {
    name: opts.selector,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType: INT64, shape: { dim: [] } } } }),
  });
  return create(ModelProtoSchema, {
    irVersion: prefix.irVersion, opsetImport: prefix.opsetImport, producerName: 'mopar',
    producerVersion: prefix.producerVersion, domain: prefix.domain, modelVersion: prefix.modelVersion,
    functions: prefix.functions,
    graph: create(GraphProtoSchema, {
      name: opts.graphName ?? pg.name,
      node: nodes, initializer: inits,
      input: [...pg.input, selector],
      output: outputs.map((o, i) => outType(o, i)),
    }),
  });
}

const INT64 = 7;

function defaultOpset(m: ModelProto): number {
  const o = m.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? Number(o.version) : 0;
}

function elemType(v: ValueInfoProto): number {
  return v.type?.value.case === 'tensorType' ? v.type.value.value.elemType : -1;
}

/** A weight's identity by content (type, dims, bytes), not by name. */
function tensorKey(t: TensorProto): string {
  return `${t.dataType}:${t.dims.join('x')}:${contentHash(t)}`;
}

/** The same tensor under another name (the bytes are shared, not copied). */
function renamedTensor(t: TensorProto, name: string): TensorProto {
  if (t.name === name) return t;
  return create(TensorProtoSchema, { ...t, name });
}

function withName(v: ValueInfoProto, name: string): ValueInfoProto {
  const c = clone(ValueInfoProtoSchema, v);
  c.name = name;
  return c;
}

/** The heads' output type where they all declare the same one; else its element type alone (shapes may differ). */
function mergedType(vs: readonly ValueInfoProto[], name: string): ValueInfoProto {
  const t = vs[0]!.type;
  const same = !!t && vs.every((v) => v.type && toBinary(TypeProtoSchema, v.type).join() === toBinary(TypeProtoSchema, t).join());
  if (same) return create(ValueInfoProtoSchema, { name, type: t });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: { elemType: elemType(vs[0]!) } } }),
  });
}
