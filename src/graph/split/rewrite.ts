/**
 * The rewrite: a run of nodes + {kind, parts} → one standalone ONNX model per part, plus the joins.
 *
 * Each part reads the run's inputs whole under their original names (so the manifest's dataflow stays by tensor
 * name) and slices what it needs inside (Slice nodes; weights are sliced at build time into smaller
 * initializers, so a channel part stores 1/k of them). It delivers its band of every run output as
 * `<tensor>.part<i>of<k>`. Joining is the consumer's job: Concat(parts, axis) restores the tensor (build
 * prepends that Concat to each consuming function; see src/partition/joins.ts).
 */
import { MoparError } from '../../core/index.js';
import { attr, tensorProto, valueInfoOf } from '../builder.js';
import type { DType } from '../dtype.js';
import { valueInfo } from '../extract.js';
import type { Graph, GraphNode } from '../ir.js';
import { create, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, type NodeProto, type TensorProto } from '../onnx.js';
import { axisFor, constantTensor, planPart, runInfo, type PartPlan, type RunInfo } from './bands.js';
import type { Need, Range } from './rules.js';
import { sliceTensor, tensorByteSize } from './tensor-data.js';
import type { SplitKind, SplitPart, SplitResult } from './types.js';

export interface SplitRequest { kind: SplitKind; parts: number }

export const partName = (tensor: string, i: number, k: number) => `${tensor}.part${i}of${k}`;

/** The output axis a kind splits for this run (channel: 1 for Conv/Gemm, last for MatMul). */
export function splitAxis(run: RunInfo, kind: SplitKind): number {
  switch (kind) {
    case 'spatial': return 2;
    case 'sequence': return 1;
    case 'channel': {
      let best: GraphNode | undefined;
      let bestBytes = -1;
      for (const n of run.nodes) {
        if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
        const w = constantTensor(run.g, n.proto.input[1]!);
        const bytes = w ? tensorByteSize(w) : -1;
        if (w && bytes > bestBytes) { best = n; bestBytes = bytes; }
      }
      if (!best) throw new MoparError('a channel split needs a Conv, Gemm or MatMul with constant weights in the run');
      return best.op === 'MatMul' ? -1 : 1;
    }
    case 'heads':
      // Attention heads are bands of the last axis of the merged [batch, seq, heads·dim] output: the band rules
      // carry them through Reshape/Transpose to whole heads of Q, K, V (their projection weights sliced).
      if (!run.nodes.some((n) => n.op === 'Softmax')) throw new MoparError("split kind 'heads' needs an attention run (with a Softmax)");
      return -1;
    default: throw new MoparError(`unknown split kind '${String(kind)}'`);
  }
}

export function splitRun(g: Graph, nodeNames: readonly string[], req: SplitRequest): SplitResult {
  if (!Number.isInteger(req.parts) || req.parts < 2) throw new MoparError(`a split needs at least 2 parts, got ${req.parts}`);
  const run = runInfo(g, nodeNames);
  const axis = splitAxis(run, req.kind);
  const plans = Array.from({ length: req.parts }, (_, i) => planPart(run, axis, i, req.parts));
  const parts = plans.map((p) => buildPart(run, p, req.parts));
  const joins = run.outputs.map((o) => {
    const shape = run.ctx.shape(o);
    const a = axisFor(axis, shape.length, o);
    return {
      tensor: o,
      parts: plans.map((p) => partName(o, p.index, req.parts)),
      axis: a,
      dtype: g.tensors.get(o)!.dtype ?? 'float32',
      shape,
      partShapes: plans.map((p) => { const b = p.bands.get(o)!; const s = [...shape]; s[a] = b.hi - b.lo; return s; }),
    };
  });
  const overhead = plans.reduce((a, p) => a + p.work, 0) - 1;
  return { kind: req.kind, axis, parts, joins, overhead };
}

function buildPart(run: RunInfo, plan: PartPlan, k: number): SplitPart {
  const { g } = run;
  const nodes: NodeProto[] = [];
  const inits = new Map<string, TensorProto>();
  const inputs: string[] = [];
  const seenInput = new Set<string>();
  const constNodes = new Set<string>();
  const produced = new Map<string, Need>();
  const sliceCache = new Map<string, string>();
  let counter = 0;
  const fresh = (hint: string) => `mopar.${hint}.${plan.index}.${counter++}`;
  const opsetSlice = g.opset >= 10;

  const external = (name: string): void => {
    const t = g.tensors.get(name)!;
    if (g.initializers.has(name)) { inits.set(name, g.initializers.get(name)!); return; }
    if (t.kind === 'constant' && t.producer) {
      if (!constNodes.has(t.producer)) { constNodes.add(t.producer); nodes.push(g.nodeByName.get(t.producer)!.proto); }
      return;
    }
    if (!seenInput.has(name)) { seenInput.add(name); inputs.push(name); }
  };
  const sliceNode = (src: string, r: Range, lo: number, hi: number): string => {
    const out = fresh('slice');
    if (opsetSlice) {
      const mk = (h: string, v: number) => { const n = fresh(h); inits.set(n, tensorProto(n, 'int64', [1], BigInt64Array.of(BigInt(v)))); return n; };
      nodes.push(create(NodeProtoSchema, { name: out, opType: 'Slice', input: [src, mk('start', lo), mk('end', hi), mk('axis', r.axis)], output: [out] }));
    } else {
      nodes.push(create(NodeProtoSchema, {
        name: out, opType: 'Slice', input: [src], output: [out],
        attribute: [attr('starts', [lo]), attr('ends', [hi]), attr('axes', [r.axis])],
      }));
    }
    return out;
  };
  /** The name under which input `name` is available with exactly the rows `req`. */
  const provide = (name: string, req: Need): string => {
    const avail = produced.get(name);
    const full = run.ctx.shape(name)[req === 'whole' ? 0 : req.axis];
    if (avail === undefined) {
      if (req === 'whole' || (req.lo === 0 && req.hi === full)) { external(name); return name; }
      const key = `${name}|${req.axis}|${req.lo}|${req.hi}`;
      const cached = sliceCache.get(key);
      if (cached) return cached;
      const w = constantTensor(g, name);
      let res: string;
      if (w && w.dims.length > 0) {
        res = fresh('w');
        inits.set(res, sliceTensor(w, res, req.axis, req.lo, req.hi));
      } else {
        external(name);
        res = sliceNode(name, req, req.lo, req.hi);
      }
      sliceCache.set(key, res);
      return res;
    }
    if (req === 'whole') {
      if (avail !== 'whole') throw new Error(`internal: '${name}' needed whole but only a band was computed`);
      return name;
    }
    if (avail === 'whole') {
      if (req.lo === 0 && req.hi === full) return name;
      return sliceNode(name, req, req.lo, req.hi);
    }
    if (avail.axis !== req.axis) throw new Error(`internal: '${name}' band axes disagree`);
    if (avail.lo === req.lo && avail.hi === req.hi) return name;
    return sliceNode(name, req, req.lo - avail.lo, req.hi - avail.lo);
  };

  for (const np of plan.nodes) {
    const p = np.node.proto;
    let input: string[];
    if (np.out === 'whole') {
      for (const i of np.node.inputs) provide(i, 'whole');
      input = [...p.input];
    } else {
      const replaced = new Map(np.replace?.map((x) => [x.index, x.values]));
      input = p.input.map((i, j) => {
        let values = replaced.get(j);
        if (values && np.node.op === 'Reshape' && j === 1) values = keepBatch(g, np.node.inputs[0]!, np.node.outputs[0]!, values);
        if (values) {
          const name = fresh('shape');
          inits.set(name, tensorProto(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt))));
          return name;
        }
        return i ? provide(i, np.inputs[j] ?? 'whole') : '';
      });
    }
    let attribute = p.attribute;
    if (np.attrs) {
      const replaced = Object.keys(np.attrs);
      attribute = [...p.attribute.filter((a) => !replaced.includes(a.name)),
        ...Object.entries(np.attrs).map(([name, v]) => attr(name, v))];
    }
    nodes.push(create(NodeProtoSchema, { ...p, input, attribute }));
    for (const o of np.node.outputs) produced.set(o, np.out);
  }
  const outputs: string[] = [];
  const outInfos = [];
  for (const [o, band] of plan.bands) {
    const src = provide(o, band);
    const name = partName(o, plan.index, k);
    nodes.push(create(NodeProtoSchema, { name: fresh('out'), opType: 'Identity', input: [src], output: [name] }));
    const shape = [...run.ctx.shape(o)];
    shape[band.axis] = band.hi - band.lo;
    outputs.push(name);
    outInfos.push(valueInfoOf(name, (g.tensors.get(o)!.dtype ?? 'float32') as DType, shape));
  }
  const model = create(ModelProtoSchema, {
    irVersion: g.model.irVersion,
    opsetImport: g.model.opsetImport,
    producerName: 'mopar',
    functions: g.model.functions,
    graph: create(GraphProtoSchema, {
      name: `${g.model.graph!.name || 'graph'}.part${plan.index}of${k}`,
      node: nodes,
      initializer: [...inits.values()],
      input: inputs.map((i) => valueInfo(g, i)),
      output: outInfos,
    }),
  });
  let weightsBytes = 0;
  for (const t of inits.values()) weightsBytes += tensorByteSize(t);
  for (const c of constNodes) { const t = g.nodeByName.get(c)!.proto.attribute[0]?.t; if (t) weightsBytes += tensorByteSize(t); }
  return { index: plan.index, model, inputs, outputs, weightsBytes };
}

/**
 * A band's Reshape target is concrete (measured at batch 1); where the input and output share the symbolic batch
 * as their leading dim, target 0 copies it, so the part runs at any batch.
 */
function keepBatch(g: Graph, input: string, output: string, values: number[]): number[] {
  const from = g.tensors.get(input)?.symbolicShape?.[0];
  const to = g.tensors.get(output)?.symbolicShape?.[0];
  return typeof from === 'string' && from === to ? [0, ...values.slice(1)] : values;
}
