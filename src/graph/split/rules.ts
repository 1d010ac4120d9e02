/**
 * Per-operator rules of the band split: given the rows [lo, hi) of a node's output wanted along one axis, which
 * rows of each input the node needs (and how its attributes change). A rule returns null when it cannot compute a
 * band exactly; the node is then computed whole (always exact, costs recomputation).
 */
import type { GraphNode } from '../ir.js';
import type { AttributeProto, TensorProto } from '../onnx.js';
import { intValues } from './tensor-data.js';

export interface Range { axis: number; lo: number; hi: number }
/** What a node needs of one input: a range along one of its axes, or all of it. */
export type Need = Range | 'whole';

export interface RuleResult {
  /** The output rows it will produce (may be wider than asked, e.g. aligned to conv groups). */
  out: Range;
  /** Per proto input (same order; '' inputs get 'whole'). */
  inputs: Need[];
  /**
   * Replacement attributes by name (others kept), as plain values: the planner walks rules thousands of times
   * and never needs protobuf messages; the rewrite turns them into AttributeProtos.
   */
  attrs?: Record<string, number | number[] | string>;
  /** Inputs replaced by a new int64 constant (e.g. Reshape's target shape for the band). */
  replace?: Array<{ index: number; values: number[] }>;
}

export interface RuleContext {
  shape(name: string): number[];
  opset: number;
  /** The weight tensor behind a name (initializer or Constant value), if any. */
  constant(name: string): TensorProto | undefined;
}

type Rule = (n: GraphNode, r: Range, ctx: RuleContext) => RuleResult | null;

function getAttr(n: GraphNode, name: string): AttributeProto | undefined {
  return n.proto.attribute.find((a) => a.name === name);
}
export function intAttr(n: GraphNode, name: string, dflt: number): number {
  const a = getAttr(n, name);
  return a ? Number(a.i) : dflt;
}
/** Decoded list attributes per node: the planner's band walks apply the same node's rule thousands of times. */
const intsCache = new WeakMap<GraphNode, Map<string, number[] | undefined>>();
function intsAttr(n: GraphNode, name: string): number[] | undefined {
  let byName = intsCache.get(n);
  if (!byName) intsCache.set(n, byName = new Map());
  if (byName.has(name)) return byName.get(name);
  const a = getAttr(n, name);
  const v = a ? a.ints.map(Number) : undefined;
  byName.set(name, v);
  return v;
}
const utf8 = new TextDecoder();
function strAttr(n: GraphNode, name: string, dflt: string): string {
  const a = getAttr(n, name);
  return a ? utf8.decode(a.s) : dflt;
}
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Numpy broadcasting: the input axis aligned with output axis `r.axis`, or whole when broadcast over it. */
function broadcastNeed(input: string, outShape: number[], r: Range, ctx: RuleContext): Need {
  if (!input) return 'whole';
  const s = ctx.shape(input);
  const ai = r.axis - (outShape.length - s.length);
  if (ai < 0 || (s[ai] === 1 && outShape[r.axis] !== 1)) return 'whole';
  return { axis: ai, lo: r.lo, hi: r.hi };
}

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Where', 'Equal', 'Less', 'Greater',
  'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Mod', 'BitShift',
  'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Clip', 'Elu', 'Selu', 'Celu', 'Gelu',
  'Softplus', 'Softsign', 'Mish', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Floor', 'Ceil',
  'Round', 'Sign', 'Sin', 'Cos', 'Not', 'Identity', 'Cast', 'Dropout', 'ThresholdedRelu', 'IsNaN', 'Shrink',
]);

const elementwise: Rule = (n, r, ctx) => {
  const out = ctx.shape(n.outputs[0]!);
  return { out: r, inputs: n.proto.input.map((i) => broadcastNeed(i, out, r, ctx)) };
};

/** Explicit [begin..., end...] pads of a conv/pool over its spatial dims (auto_pad resolved). */
function explicitPads(n: GraphNode, inSpatial: number[], kernel: number[], strides: number[], dil: number[]): number[] | null {
  const k = inSpatial.length;
  const auto = strAttr(n, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET') return intsAttr(n, 'pads') ?? new Array(2 * k).fill(0);
  if (auto === 'VALID') return new Array(2 * k).fill(0);
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') return null;
  const pads = new Array(2 * k).fill(0);
  for (let d = 0; d < k; d++) {
    const dk = (kernel[d]! - 1) * dil[d]! + 1;
    const outLen = Math.ceil(inSpatial[d]! / strides[d]!);
    const total = Math.max(0, (outLen - 1) * strides[d]! + dk - inSpatial[d]!);
    const small = Math.floor(total / 2);
    pads[d] = auto === 'SAME_UPPER' ? small : total - small;
    pads[d + k] = total - pads[d];
  }
  return pads;
}

/**
 * Rows of the input a window op needs for output rows [lo, hi) along spatial axis r.axis, and its new pads:
 * the band keeps the original zero padding only where it touches the tensor's real border.
 */
function windowBand(n: GraphNode, r: Range, xShape: number[], kernel: number[]): { need: Range; attrs: RuleResult['attrs'] } | null {
  const k = xShape.length - 2;
  const d = r.axis - 2;
  const strides = intsAttr(n, 'strides') ?? new Array(k).fill(1);
  const dil = intsAttr(n, 'dilations') ?? new Array(k).fill(1);
  const pads = explicitPads(n, xShape.slice(2), kernel, strides, dil);
  if (!pads) return null;
  const s = strides[d]!;
  const dk = (kernel[d]! - 1) * dil[d]! + 1;
  const rawLo = r.lo * s - pads[d]!;
  const rawHi = (r.hi - 1) * s - pads[d]! + dk;
  const lo = Math.max(0, rawLo);
  const hi = Math.min(xShape[r.axis]!, rawHi);
  if (hi <= lo) return null;
  const newPads = [...pads];
  newPads[d] = lo - rawLo;
  newPads[d + k] = rawHi - hi;
  return { need: { axis: r.axis, lo, hi }, attrs: { pads: newPads, auto_pad: 'NOTSET' } };
}

const conv: Rule = (n, r, ctx) => {
  const [x, w, b] = [n.proto.input[0]!, n.proto.input[1]!, n.proto.input[2] ?? ''];
  const xs = ctx.shape(x);
  const ws = ctx.shape(w);
  const bias = (need: Need): Need[] => (b ? [need] : []);
  if (r.axis === 0) return { out: r, inputs: [{ axis: 0, lo: r.lo, hi: r.hi }, 'whole', ...bias('whole')] };
  if (r.axis === 1) {
    const group = intAttr(n, 'group', 1);
    if (group === 1) {
      return { out: r, inputs: ['whole', { axis: 0, lo: r.lo, hi: r.hi }, ...bias({ axis: 0, lo: r.lo, hi: r.hi })] };
    }
    // Grouped/depthwise: a part takes whole groups, their input channels and their filters.
    const outPerGroup = ws[0]! / group;
    const inPerGroup = ws[1]!;
    const g0 = Math.floor(r.lo / outPerGroup);
    const g1 = Math.ceil(r.hi / outPerGroup);
    const out = { axis: 1, lo: g0 * outPerGroup, hi: g1 * outPerGroup };
    return {
      out,
      inputs: [{ axis: 1, lo: g0 * inPerGroup, hi: g1 * inPerGroup }, { axis: 0, lo: out.lo, hi: out.hi }, ...bias({ axis: 0, lo: out.lo, hi: out.hi })],
      attrs: { group: g1 - g0 },
    };
  }
  const band = windowBand(n, r, xs, intsAttr(n, 'kernel_shape') ?? ws.slice(2));
  if (!band) return null;
  return { out: r, inputs: [band.need, 'whole', ...bias('whole')], attrs: band.attrs };
};

const pool: Rule = (n, r, ctx) => {
  if (n.outputs.length > 1) return null; // MaxPool's Indices refer to whole-tensor positions
  const xs = ctx.shape(n.proto.input[0]!);
  if (r.axis <= 1) return { out: r, inputs: [{ axis: r.axis, lo: r.lo, hi: r.hi }] };
  if (intAttr(n, 'ceil_mode', 0) !== 0) return null;
  const kernel = intsAttr(n, 'kernel_shape');
  if (!kernel) return null;
  const band = windowBand(n, r, xs, kernel);
  return band ? { out: r, inputs: [band.need], attrs: band.attrs } : null;
};

const globalPool: Rule = (_n, r) => (r.axis <= 1 ? { out: r, inputs: [{ axis: r.axis, lo: r.lo, hi: r.hi }] } : null);

const batchNorm: Rule = (n, r) => {
  if (n.outputs.length > 1) return null;
  const per: Need = r.axis === 1 ? { axis: 0, lo: r.lo, hi: r.hi } : 'whole';
  return { out: r, inputs: [{ axis: r.axis, lo: r.lo, hi: r.hi }, per, per, per, per] };
};

const instanceNorm: Rule = (_n, r) => {
  if (r.axis > 1) return null; // normalises over the spatial dims
  const per: Need = r.axis === 1 ? { axis: 0, lo: r.lo, hi: r.hi } : 'whole';
  return { out: r, inputs: [{ axis: r.axis, lo: r.lo, hi: r.hi }, per, per] };
};

const layerNorm: Rule = (n, r, ctx) => {
  if (n.outputs.length > 1) return null;
  const out = ctx.shape(n.outputs[0]!);
  if (r.axis >= norm(intAttr(n, 'axis', -1), out.length)) return null;
  return elementwise(n, r, ctx);
};

const softmax: Rule = (n, r, ctx) => {
  const rank = ctx.shape(n.outputs[0]!).length;
  const axis = norm(intAttr(n, 'axis', ctx.opset >= 13 ? -1 : 1), rank);
  if (ctx.opset >= 13 ? r.axis === axis : r.axis >= axis) return null;
  return { out: r, inputs: [{ axis: r.axis, lo: r.lo, hi: r.hi }] };
};

const reduce: Rule = (n, r, ctx) => {
  if (intAttr(n, 'keepdims', 1) !== 1) return null;
  const rank = ctx.shape(n.outputs[0]!).length;
  let axes = intsAttr(n, 'axes');
  if (!axes && n.proto.input[1]) {
    const t = ctx.constant(n.proto.input[1]);
    if (!t) return null;
    axes = intValues(t);
  }
  if (!axes || axes.length === 0) return null;
  if (axes.map((a) => norm(a, rank)).includes(r.axis)) return null;
  return { out: r, inputs: n.proto.input.map((_, k) => (k === 0 ? { axis: r.axis, lo: r.lo, hi: r.hi } : 'whole')) };
};

const matmul: Rule = (n, r, ctx) => {
  const [a, b] = [n.proto.input[0]!, n.proto.input[1]!];
  const out = ctx.shape(n.outputs[0]!);
  const as = ctx.shape(a);
  const bs = ctx.shape(b);
  if (as.length < 2 || bs.length < 2) return null;
  const rank = out.length;
  if (r.axis === rank - 1) return { out: r, inputs: ['whole', { axis: bs.length - 1, lo: r.lo, hi: r.hi }] };
  if (r.axis === rank - 2) return { out: r, inputs: [{ axis: as.length - 2, lo: r.lo, hi: r.hi }, 'whole'] };
  // A batch axis: broadcast over the leading dims of both.
  const batch = (s: number[]): Need => {
    const ai = r.axis - (rank - s.length);
    return ai < 0 || s[ai] === 1 ? 'whole' : { axis: ai, lo: r.lo, hi: r.hi };
  };
  return { out: r, inputs: [batch(as), batch(bs)] };
};

const gemm: Rule = (n, r, ctx) => {
  const out = ctx.shape(n.outputs[0]!);
  const transA = intAttr(n, 'transA', 0);
  const transB = intAttr(n, 'transB', 0);
  const c = n.proto.input[2] ?? '';
  const cNeed = c ? [broadcastNeed(c, out, r, ctx)] : [];
  if (r.axis === 1) return { out: r, inputs: ['whole', { axis: transB ? 0 : 1, lo: r.lo, hi: r.hi }, ...cNeed] };
  return { out: r, inputs: [{ axis: transA ? 1 : 0, lo: r.lo, hi: r.hi }, 'whole', ...cNeed] };
};

const concat: Rule = (n, r, ctx) => {
  const rank = ctx.shape(n.outputs[0]!).length;
  if (norm(intAttr(n, 'axis', 0), rank) === r.axis) return null;
  return { out: r, inputs: n.proto.input.map((i) => (i ? { axis: r.axis, lo: r.lo, hi: r.hi } : 'whole')) };
};

const split: Rule = (n, r, ctx) => {
  const rank = ctx.shape(n.proto.input[0]!).length;
  if (norm(intAttr(n, 'axis', 0), rank) === r.axis) return null;
  return { out: r, inputs: n.proto.input.map((_, k) => (k === 0 ? { axis: r.axis, lo: r.lo, hi: r.hi } : 'whole')) };
};

const transpose: Rule = (n, r, ctx) => {
  const rank = ctx.shape(n.outputs[0]!).length;
  const perm = intsAttr(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return { out: r, inputs: [{ axis: perm[r.axis]!, lo: r.lo, hi: r.hi }] };
};

/**
 * Reshape keeps a band contiguous when the dims before the band axis are unchanged: rows [lo, hi) of the output
 * are one flat chunk of each leading block, which is a band of the input along the same axis (widened to whole
 * input rows when the reshape merged dims). The target shape is replaced by the band's concrete shape.
 */
const reshape: Rule = (n, r, ctx) => {
  const inS = ctx.shape(n.proto.input[0]!);
  const outS = ctx.shape(n.outputs[0]!);
  const a = r.axis;
  if (a >= inS.length || inS.slice(0, a).some((d, i) => d !== outS[i])) return null;
  const pi = inS.slice(a + 1).reduce((x, d) => x * d, 1);
  const po = outS.slice(a + 1).reduce((x, d) => x * d, 1);
  let out: Range;
  let need: Range;
  if (pi % po === 0) {
    const g = pi / po;
    need = { axis: a, lo: Math.floor(r.lo / g), hi: Math.ceil(r.hi / g) };
    out = { axis: a, lo: need.lo * g, hi: need.hi * g };
  } else if (po % pi === 0) {
    const g = po / pi;
    need = { axis: a, lo: r.lo * g, hi: r.hi * g };
    out = r;
  } else return null;
  const shape = [...outS];
  shape[a] = out.hi - out.lo;
  return { out, inputs: [need, 'whole'], replace: [{ index: 1, values: shape }] };
};

const RULES: Record<string, Rule> = {
  Reshape: reshape,
  Conv: conv, MaxPool: pool, AveragePool: pool, LpPool: pool,
  GlobalAveragePool: globalPool, GlobalMaxPool: globalPool, GlobalLpPool: globalPool,
  BatchNormalization: batchNorm, InstanceNormalization: instanceNorm, LayerNormalization: layerNorm,
  Softmax: softmax, LogSoftmax: softmax, Hardmax: softmax,
  ReduceMean: reduce, ReduceSum: reduce, ReduceMax: reduce, ReduceMin: reduce, ReduceProd: reduce,
  ReduceL1: reduce, ReduceL2: reduce, ReduceSumSquare: reduce, ReduceLogSumExp: reduce,
  MatMul: matmul, Gemm: gemm, Concat: concat, Split: split, Transpose: transpose,
};

/** The rule for a node, or null when it must be computed whole (unknown op, other domain, subgraphs). */
export function ruleFor(n: GraphNode): Rule | null {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return null;
  if (n.proto.attribute.some((a) => a.g || a.graphs.length)) return null;
  if (ELEMENTWISE.has(n.op)) return elementwise;
  return RULES[n.op] ?? null;
}

/** Rough multiply-accumulate count of a node (weights the recomputation overhead; not a latency model). */
export function workOf(n: GraphNode, ctx: RuleContext): number {
  const outElems = (ctx.shape(n.outputs[0]!) ?? []).reduce((a, d) => a * d, 1);
  if (n.op === 'Conv') {
    const ws = ctx.shape(n.proto.input[1]!);
    return outElems * ws.slice(1).reduce((a, d) => a * d, 1);
  }
  if (n.op === 'MatMul') {
    const as = ctx.shape(n.proto.input[0]!);
    return outElems * (as[as.length - 1] ?? 1);
  }
  if (n.op === 'Gemm') {
    const as = ctx.shape(n.proto.input[0]!);
    return outElems * (intAttr(n, 'transA', 0) ? as[0]! : as[1]!);
  }
  if (n.op === 'MaxPool' || n.op === 'AveragePool') {
    const k = intsAttr(n, 'kernel_shape') ?? [1];
    return outElems * k.reduce((a, d) => a * d, 1);
  }
  return outElems;
}
