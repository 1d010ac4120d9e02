/**
 * Net: the zoo's graph under construction. It wraps the shared GraphBuilder, tracks every tensor's static shape
 * (zoo models have batch 1 and fixed sizes, so layers can size their weights from their input), and records
 * float weights lazily (see weights.ts). Layers (layers.ts) are plain functions over a Net and tensors `T`.
 */
import { create, TensorProtoSchema, GraphBuilder, tensorProto, dtypeCode, type ModelProto, type AttrValue, type TypedData, type DType } from '../graph/index.js';
import type { LazyWeight } from './weights.js';

/** One opset for the whole zoo: 17 has LayerNormalization; onnxruntime-node runs it on CPU. */
export const ZOO_OPSET = 17;

/** A tensor of the graph being built, with its static shape. */
export interface T { name: string; shape: number[]; dtype: DType }

export class Net {
  readonly gb: GraphBuilder;
  readonly weights: LazyWeight[] = [];
  private readonly consts = new Map<string, T>();
  /** Static shape of every tensor made here (inputs, weights, constants, node outputs), for graph rewrites. */
  readonly shapes = new Map<string, number[]>();
  private readonly scopes: string[] = [];

  constructor(readonly name: string) {
    this.gb = new GraphBuilder(name);
  }

  /** Runs `fn` with node and weight names prefixed by `name` (e.g. `layer2.0.Conv`), as exporters name them. */
  scope<R>(name: string, fn: () => R): R {
    this.scopes.push(name);
    try { return fn(); } finally { this.scopes.pop(); }
  }

  private scoped(hint: string): string {
    return this.scopes.length ? `${this.scopes.join('.')}.${hint}` : hint;
  }

  input(name: string, dtype: DType, shape: number[]): T {
    this.gb.input(name, dtype, shape);
    this.shapes.set(name, shape);
    return { name, shape, dtype };
  }

  /** Marks `t` as a graph output named `name` (renames the producing node's output). */
  output(t: T, name: string): T {
    const node = this.gb.nodes.find((n) => n.output.includes(t.name));
    if (!node) throw new Error(`zoo: output ${t.name} has no producer`);
    const i = node.output.indexOf(t.name);
    node.output[i] = name;
    for (const n of this.gb.nodes) n.input.forEach((x, j) => { if (x === t.name) n.input[j] = name; });
    this.gb.output(name, t.dtype, t.shape);
    this.shapes.set(name, t.shape);
    return { ...t, name };
  }

  /** A float32 weight with uniform values of the given std around `mean`, generated later. */
  weight(hint: string, dims: number[], std: number, mean = 0): T {
    const name = this.gb.fresh(this.scoped(hint));
    this.gb.initializers.push(create(TensorProtoSchema, {
      name, dataType: dtypeCode('float32'), dims: dims.map(BigInt),
    }));
    this.weights.push({ name, dims, std, mean, index: this.weights.length });
    this.shapes.set(name, dims);
    return { name, shape: dims, dtype: 'float32' };
  }

  /** A small constant initializer with given values (shapes, indices, scalars); shared by value. */
  data(hint: string, dtype: DType, dims: number[], values: TypedData): T {
    const key = `${dtype}|${dims.join(',')}|${Array.from(values as ArrayLike<number | bigint>, String).join(',')}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = this.gb.fresh(hint);
    this.gb.initializers.push(tensorProto(name, dtype, dims, values));
    const t: T = { name, shape: dims, dtype };
    this.consts.set(key, t);
    this.shapes.set(name, dims);
    return t;
  }

  ints(values: number[], hint = 'shape'): T {
    return this.data(hint, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalar(v: number, hint = 'const'): T {
    return this.data(hint, 'float32', [], Float32Array.of(v));
  }

  /** Adds a node with one output of the given shape. */
  op(opType: string, inputs: (T | string)[], shape: number[], attrs: Record<string, AttrValue | undefined> = {},
    opts: { dtype?: DType; name?: string } = {}): T {
    const ins = inputs.map((x) => (typeof x === 'string' ? x : x.name));
    const name = this.gb.node(opType, ins, attrs, { name: this.scoped(opts.name ?? opType) });
    const first = inputs.find((x): x is T => typeof x !== 'string');
    this.shapes.set(name, shape);
    return { name, shape, dtype: opts.dtype ?? first?.dtype ?? 'float32' };
  }

  /** Parameter count: elements of every initializer (what `mopar inspect` reports; no Constant nodes here). */
  params(): number {
    let n = 0;
    for (const t of this.gb.initializers) n += t.dims.reduce((a, d) => a * Number(d), 1);
    return n;
  }

  /** The model with lazy weights still empty (structure only). */
  skeleton(): ModelProto {
    return this.gb.model(ZOO_OPSET);
  }
}
