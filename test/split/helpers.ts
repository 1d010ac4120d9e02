/** Small hand-built graphs and an exactness check for split runs (shared by test/split and test/build). */
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import {
  GraphBuilder, buildGraph, concreteShape, encodeModel, extractModel, inferShapes, openSession, randomTensor,
  runSession, f, type Feeds, type Graph, type ModelProto, type PlainTensor,
} from '../../src/graph/index.js';
import { splitRun, type SplitRequest } from '../../src/graph/split/index.js';

export function rand(rng: Rng, n: number, scale = 0.5): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

export class Net {
  readonly b = new GraphBuilder('test');
  readonly rng = new Rng(3);
  w(dims: number[], scale = 0.3): string { return this.b.init('w', 'float32', dims, rand(this.rng, dims.reduce((a, d) => a * d, 1), scale)); }
  conv(x: string, cin: number, cout: number, k: number, attrs: Record<string, number | number[] | string> = {}, group = 1): string {
    return this.b.node('Conv', [x, this.w([cout, cin / group, k, k]), this.w([cout], 0.1)], { group, ...attrs });
  }
  bn(x: string, c: number): string {
    const pos = this.b.init('var', 'float32', [c], rand(this.rng, c).map((v) => v + 1));
    return this.b.node('BatchNormalization', [x, this.w([c]), this.w([c]), this.w([c]), pos], { epsilon: f(1e-5) });
  }
  relu(x: string): string { return this.b.node('Relu', [x]); }
}

/** Shapes known, as openModel would leave them. */
export async function graphOf(model: ModelProto, shapes: Record<string, number[]>): Promise<Graph> {
  const g = buildGraph(model);
  await inferShapes(g, shapes);
  return g;
}

export function sliceAlong(t: PlainTensor, axis: number, lo: number, hi: number): number[] {
  const data = t.data as Float32Array;
  const outer = t.dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = t.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let r = lo; r < hi; r++) {
      const base = (o * t.dims[axis]! + r) * inner;
      for (let i = 0; i < inner; i++) out.push(Number(data[base + i]));
    }
  }
  return out;
}

export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let peak = 0;
  for (let i = 0; i < b.length; i++) peak = Math.max(peak, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-2 * peak, 1e-12));
  return worst;
}

/** Splits `nodes` of `g` and checks every part's output against the same band of the unsplit run. */
export async function checkSplit(g: Graph, nodes: string[], req: SplitRequest): Promise<{ maxRelErr: number; overhead: number; weights: number[] }> {
  const res = splitRun(g, nodes, req);
  const { model, piece } = extractModel(g, nodes);
  const rng = new Rng(11);
  const feeds: Feeds = {};
  for (const i of piece.inputs) feeds[i] = randomTensor(g.tensors.get(i)!.dtype ?? 'float32', concreteShape(g, i), rng);
  const ref = await runSession(await openSession(encodeModel(model)), feeds);
  let worst = 0;
  for (const part of res.parts) {
    const s = await openSession(encodeModel(part.model));
    const out = await runSession(s, feeds);
    await s.release();
    for (const j of res.joins) {
      const got = out[j.parts[part.index]!]!;
      assert.deepEqual(got.dims, j.partShapes[part.index]);
      let lo = 0;
      for (let p = 0; p < part.index; p++) lo += j.partShapes[p]![j.axis]!;
      const want = sliceAlong(ref[j.tensor]!, j.axis, lo, lo + got.dims[j.axis]!);
      worst = Math.max(worst, maxRel(Array.from(got.data as Float32Array), want));
    }
  }
  return { maxRelErr: worst, overhead: res.overhead, weights: res.parts.map((p) => p.weightsBytes) };
}
