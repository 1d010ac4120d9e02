/**
 * The zoo's layer library: each layer is a function (net, x, ...) → output tensor that creates its nodes and
 * weights, so architectures read like their papers' tables. Conventions follow common ONNX exporters:
 * BatchNorm folded into the preceding Conv's bias, Linear as MatMul + Add (transformers) or Gemm (CNN heads),
 * GELU as its erf formula, LayerNormalization (opset 17). Weight scales are He-like (gain / fan-in variance) so
 * that activations keep roughly unit variance through deep stacks of random layers; `scale` shrinks the last
 * layer of a residual branch (as zero-/small-γ initialisation does) so that residual sums do not grow.
 */
import { f } from '../graph/index.js';
import type { Net, T } from './net.js';

export type Act = 'relu' | 'relu6' | 'silu' | 'gelu' | 'gelu_tanh' | 'sigmoid' | 'none';

/** Variance gain of each activation for He-style initialisation. */
const GAIN: Record<Act, number> = { relu: 2, relu6: 2, silu: 2.5, gelu: 2, gelu_tanh: 2, sigmoid: 1, none: 1 };

const BIAS_STD = 0.02;

export function act(n: Net, x: T, a: Act): T {
  switch (a) {
    case 'none': return x;
    case 'relu': return n.op('Relu', [x], x.shape);
    case 'relu6': return n.op('Clip', [x, n.scalar(0, 'zero'), n.scalar(6, 'six')], x.shape);
    case 'sigmoid': return n.op('Sigmoid', [x], x.shape);
    case 'silu': return n.op('Mul', [x, n.op('Sigmoid', [x], x.shape)], x.shape);
    case 'gelu': {
      // 0.5·x·(1 + erf(x/√2)): the pattern exporters emit and onnxruntime fuses into Gelu.
      const e = n.op('Erf', [n.op('Div', [x, n.scalar(Math.SQRT2, 'sqrt2')], x.shape)], x.shape);
      const p = n.op('Mul', [x, n.op('Add', [e, n.scalar(1, 'one')], x.shape)], x.shape);
      return n.op('Mul', [p, n.scalar(0.5, 'half')], x.shape);
    }
    case 'gelu_tanh': {
      // GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
      const cube = n.op('Pow', [x, n.scalar(3, 'three')], x.shape);
      const inner = n.op('Add', [x, n.op('Mul', [cube, n.scalar(0.044715, 'gelu_c')], x.shape)], x.shape);
      const th = n.op('Tanh', [n.op('Mul', [inner, n.scalar(Math.sqrt(2 / Math.PI), 'sqrt_2_pi')], x.shape)], x.shape);
      const p = n.op('Mul', [x, n.op('Add', [th, n.scalar(1, 'one')], x.shape)], x.shape);
      return n.op('Mul', [p, n.scalar(0.5, 'half')], x.shape);
    }
  }
}

export interface ConvOpts { stride?: number; pad?: number; groups?: number; act?: Act; bias?: boolean; scale?: number }

/** Conv2d with BatchNorm folded into its bias (as exporters do), then the activation. x: [1, C, H, W]. */
export function conv(n: Net, x: T, out: number, k: number, o: ConvOpts = {}): T {
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const stride = o.stride ?? 1;
  const pad = o.pad ?? Math.floor((k - 1) / 2);
  const groups = o.groups ?? 1;
  const a = o.act ?? 'relu';
  const fanIn = (c / groups) * k * k;
  const W = n.weight('conv.weight', [out, c / groups, k, k], Math.sqrt(GAIN[a] / fanIn) * (o.scale ?? 1));
  const ins = [x, W];
  if (o.bias ?? true) ins.push(n.weight('conv.bias', [out], BIAS_STD));
  const size = (d: number) => Math.floor((d + 2 * pad - k) / stride) + 1;
  const y = n.op('Conv', ins, [b, out, size(h), size(w)], {
    kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: groups, dilations: [1, 1],
  });
  return act(n, y, a);
}

/** Inference BatchNorm that cannot be folded (pre-activation nets): per-channel scale and shift. */
export function bnAffine(n: Net, x: T): T {
  const c = x.shape[1]!;
  const y = n.op('Mul', [x, n.weight('bn.scale', [c, 1, 1], 0.05, 1)], x.shape);
  return n.op('Add', [y, n.weight('bn.shift', [c, 1, 1], 0.05)], x.shape);
}

function pooled(x: T, k: number, s: number, p: number): number[] {
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const size = (d: number) => Math.floor((d + 2 * p - k) / s) + 1;
  return [b, c, size(h), size(w)];
}

export function maxPool(n: Net, x: T, k: number, s: number, p = 0): T {
  return n.op('MaxPool', [x], pooled(x, k, s, p), { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] });
}

export function avgPool(n: Net, x: T, k: number, s: number, p = 0): T {
  return n.op('AveragePool', [x], pooled(x, k, s, p), { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] });
}

export function globalAvgPool(n: Net, x: T): T {
  return n.op('GlobalAveragePool', [x], [x.shape[0]!, x.shape[1]!, 1, 1]);
}

export function flatten(n: Net, x: T): T {
  return n.op('Flatten', [x], [x.shape[0]!, x.shape.slice(1).reduce((a, d) => a * d, 1)], { axis: 1 });
}

/** Fully connected layer of a CNN head: Gemm with weight [out, in] (torch layout, transB). x: [1, in]. */
export function gemm(n: Net, x: T, out: number, a: Act = 'none'): T {
  const inF = x.shape[1]!;
  const W = n.weight('fc.weight', [out, inF], Math.sqrt(GAIN[a] / inF));
  const y = n.op('Gemm', [x, W, n.weight('fc.bias', [out], BIAS_STD)], [x.shape[0]!, out], { transB: 1 });
  return act(n, y, a);
}

export interface LinearOpts { bias?: boolean; act?: Act; scale?: number }

/** Linear layer over the last axis: MatMul with weight [in, out], then Add bias. */
export function linear(n: Net, x: T, out: number, o: LinearOpts = {}): T {
  const inF = x.shape[x.shape.length - 1]!;
  const a = o.act ?? 'none';
  const shape = [...x.shape.slice(0, -1), out];
  let y = n.op('MatMul', [x, n.weight('linear.weight', [inF, out], Math.sqrt(GAIN[a] / inF) * (o.scale ?? 1))], shape);
  if (o.bias ?? true) y = n.op('Add', [y, n.weight('linear.bias', [out], BIAS_STD)], shape);
  return act(n, y, a);
}

export function layerNorm(n: Net, x: T, eps = 1e-5, axis = -1): T {
  const d = x.shape[x.shape.length - 1]!;
  return n.op('LayerNormalization', [x, n.weight('ln.weight', [d], 0.05, 1), n.weight('ln.bias', [d], 0.05)],
    x.shape, { axis, epsilon: f(eps) });
}

export function reshape(n: Net, x: T, shape: number[]): T {
  return n.op('Reshape', [x, n.ints(shape)], shape);
}

export function transpose(n: Net, x: T, perm: number[]): T {
  return n.op('Transpose', [x], perm.map((p) => x.shape[p]!), { perm });
}

export function add(n: Net, a: T, b: T): T {
  const shape = a.shape.length >= b.shape.length ? a.shape : b.shape;
  return n.op('Add', [a, b], shape);
}

export function concat(n: Net, xs: T[], axis: number): T {
  const shape = [...xs[0]!.shape];
  const ax = axis < 0 ? axis + shape.length : axis;
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax]!, 0);
  return n.op('Concat', xs, shape, { axis });
}

export interface AttentionOpts {
  /** Additive mask broadcastable to [1, heads, N, N] (0 = attend, large negative = masked). */
  mask?: T;
  /** Scale of the output projection (residual branch tail). */
  outScale?: number;
}

/** Multi-head self-attention over x: [1, N, D] with separate Q, K, V projections. */
export function attention(n: Net, x: T, heads: number, o: AttentionOpts = {}): T {
  return n.scope('attn', () => attentionBody(n, x, heads, o));
}

function attentionBody(n: Net, x: T, heads: number, o: AttentionOpts): T {
  const [b, seq, d] = x.shape as [number, number, number];
  const dh = d / heads;
  const split = (t: T, perm: number[]) => transpose(n, reshape(n, t, [b, seq, heads, dh]), perm);
  const q = split(linear(n, x, d), [0, 2, 1, 3]); // [b, h, N, dh]
  const k = split(linear(n, x, d), [0, 2, 3, 1]); // [b, h, dh, N]
  const v = split(linear(n, x, d), [0, 2, 1, 3]);
  let s = n.op('MatMul', [q, k], [b, heads, seq, seq]);
  s = n.op('Div', [s, n.scalar(Math.sqrt(dh), 'sqrt_dh')], s.shape);
  if (o.mask) s = n.op('Add', [s, o.mask], s.shape);
  const p = n.op('Softmax', [s], s.shape, { axis: -1 });
  const ctx = n.op('MatMul', [p, v], [b, heads, seq, dh]);
  const merged = reshape(n, transpose(n, ctx, [0, 2, 1, 3]), [b, seq, d]);
  return linear(n, merged, d, { scale: o.outScale });
}

/** Two-layer MLP of a transformer block. */
export function mlp(n: Net, x: T, hidden: number, a: Act = 'gelu', outScale = 1): T {
  const d = x.shape[x.shape.length - 1]!;
  return n.scope('mlp', () => linear(n, linear(n, x, hidden, { act: a }), d, { scale: outScale }));
}

/** Squeeze-and-excitation (EfficientNet): channel gates from globally pooled features. */
export function squeezeExcite(n: Net, x: T, squeeze: number, inner: Act = 'silu'): T {
  return n.scope('se', () => {
    const s = globalAvgPool(n, x);
    const g = conv(n, conv(n, s, squeeze, 1, { act: inner }), x.shape[1]!, 1, { act: 'sigmoid' });
    return n.op('Mul', [x, g], x.shape);
  });
}
