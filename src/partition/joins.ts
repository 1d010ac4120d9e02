/**
 * Joining sub-slices: the consumer side concatenates. Every function that reads a tensor produced by a split
 * group gets a Concat node prepended to its graph (its graph inputs become the part tensors), so no extra hop is
 * paid; a split tensor that is also a model output is reassembled by a small join function.
 */
import { valueInfoOf, attr, create, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, type DType, type ModelProto, type NodeProto, type SplitJoin } from '../graph/index.js';

export function concatNode(j: SplitJoin): NodeProto {
  return create(NodeProtoSchema, { name: `mopar.join.${j.tensor}`, opType: 'Concat', input: j.parts, output: [j.tensor], attribute: [attr('axis', j.axis)] });
}

/** Replaces graph inputs that are split tensors by their parts + a Concat; returns the tensors joined. */
export function applyJoins(model: ModelProto, joins: ReadonlyMap<string, SplitJoin>): string[] {
  const g = model.graph!;
  const joined: string[] = [];
  const inputs = [];
  const pre: NodeProto[] = [];
  for (const vi of g.input) {
    const j = joins.get(vi.name);
    if (!j) { inputs.push(vi); continue; }
    joined.push(vi.name);
    j.parts.forEach((p, i) => inputs.push(valueInfoOf(p, j.dtype as DType, j.partShapes[i]!)));
    pre.push(concatNode(j));
  }
  if (joined.length) { g.input = inputs; g.node = [...pre, ...g.node]; }
  return joined;
}

/** A function that only reassembles split model outputs. */
export function joinModel(template: ModelProto, joins: SplitJoin[], name: string): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: template.irVersion,
    opsetImport: template.opsetImport,
    producerName: 'mopar',
    graph: create(GraphProtoSchema, {
      name,
      node: joins.map(concatNode),
      input: joins.flatMap((j) => j.parts.map((p, i) => valueInfoOf(p, j.dtype as DType, j.partShapes[i]!))),
      output: joins.map((j) => valueInfoOf(j.tensor, j.dtype as DType, j.shape)),
    }),
  });
}
