/**
 * Valid random inputs for any model: floats in a range, token ids inside the vocabulary of the embedding they
 * index (found by following the input to the Gather it feeds), masks as ones.
 */
import { MoparError, Rng, TYPED_ARRAYS } from '../core/index.js';
import { checkInputElements, numel, type DType } from './dtype.js';
import type { Graph } from './ir.js';
import type { InputShapes } from './input-shapes.js';
import type { Feeds, PlainTensor } from './runner.js';

// Ops that pass integer ids through unchanged on their way to a Gather.
const PASS_THROUGH = new Set(['Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Identity', 'Expand']);

/** Exclusive upper bound for an int input's values: the vocabulary size of the Gather it indexes, if any. */
export function idUpperBound(g: Graph, input: string): number | undefined {
  const seen = new Set<string>();
  const stack = [input];
  let bound: number | undefined;
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const c of g.tensors.get(t)?.consumers ?? []) {
      const n = g.nodeByName.get(c)!;
      if ((n.op === 'Gather' || n.op === 'GatherElements') && n.proto.input[1] === t) {
        const axisAttr = n.proto.attribute.find((a) => a.name === 'axis');
        const data = g.tensors.get(n.proto.input[0]!);
        const shape = data?.shape;
        if (shape) {
          let axis = axisAttr ? Number(axisAttr.i) : 0;
          if (axis < 0) axis += shape.length;
          const v = shape[axis];
          if (typeof v === 'number') bound = bound === undefined ? v : Math.min(bound, v);
        }
      } else if (PASS_THROUGH.has(n.op) && n.proto.input[0] === t) {
        stack.push(...n.outputs);
      }
    }
  }
  return bound;
}

export function randomTensor(dtype: DType, dims: number[], rng: Rng, intBound = 2, ones = false): PlainTensor {
  const n = numel(dims);
  switch (dtype) {
    case 'float32': case 'float64': {
      const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
      return { dtype, dims, data: a };
    }
    case 'float16': {
      // onnxruntime-node takes float16 as raw bits (Uint16Array): k/1024 for |k| < 1024 is exact in half precision.
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = halfBits(rng.int(-1024, 1024));
      return { dtype, dims, data: a };
    }
    case 'int64': case 'uint64': {
      const a = dtype === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(ones ? 1 : rng.int(0, intBound));
      return { dtype, dims, data: a };
    }
    case 'int32': case 'int16': case 'int8': case 'uint8': case 'uint16': case 'uint32': {
      const a = new TYPED_ARRAYS[dtype]!(n) as Int32Array;
      for (let i = 0; i < n; i++) a[i] = ones ? 1 : rng.int(0, intBound);
      return { dtype, dims, data: a };
    }
    case 'bool': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = ones ? 1 : rng.int(0, 2);
      return { dtype, dims, data: a };
    }
    default:
      throw new MoparError(`cannot generate random ${dtype} inputs (supported: float32/64/16, integers, bool)`);
  }
}

/** Bits of the float16 k/1024 (|k| < 1024, so always a normal number or zero). */
function halfBits(k: number): number {
  if (k === 0) return 0;
  const a = Math.abs(k);
  const e = 31 - Math.clz32(a);
  return (k < 0 ? 0x8000 : 0) | ((e + 5) << 10) | ((a - (1 << e)) << (10 - e));
}

/** Random feeds for every graph input at the given concrete shapes; same seed, same values. */
export function randomInputs(g: Graph, shapes: InputShapes, seed = 1): Feeds {
  const rng = new Rng(seed);
  const feeds: Feeds = {};
  for (const name of g.inputs) {
    const info = g.tensors.get(name)!;
    const dtype = info.dtype ?? 'float32';
    const isMask = /mask/i.test(name);
    const bound = idUpperBound(g, name) ?? 2;
    checkInputElements(name, shapes[name]!);
    feeds[name] = randomTensor(dtype, shapes[name]!, rng, bound, isMask);
  }
  return feeds;
}
