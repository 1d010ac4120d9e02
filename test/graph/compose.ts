/**
 * Test helpers: run a model whole, or cut into pieces with `extractModel` and run the pieces in order feeding
 * tensors forward (what a partitioned pipeline does), and compare tensors bit for bit.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import {
  buildGraph, encodeModel, extractModel, inferShapes, openSession, pieceOf, randomInputs, resolveInputShapes, runSession,
  type Feeds, type Graph, type InputShapes, type ModelProto, type PlainTensor, type SessionOptions,
} from '../../src/graph/index.js';

// Same kernels on both sides, so "equal" can mean bit-identical (graph fusions differ between whole and piece).
export const EXACT: SessionOptions = { optimization: 'disabled' };

export interface Prepared { graph: Graph; shapes: InputShapes; feeds: Feeds }

/** IR with concrete shapes (one onnxruntime run, uncached) and seeded random feeds. */
export async function prepare(model: ModelProto, overrides: InputShapes = {}, seed = 1): Promise<Prepared> {
  const graph = buildGraph(model);
  const shapes = resolveInputShapes(graph, overrides);
  await inferShapes(graph, shapes);
  return { graph, shapes, feeds: randomInputs(graph, shapes, seed) };
}

export async function runWhole(model: ModelProto | Uint8Array | string, feeds: Feeds, opts: SessionOptions = EXACT): Promise<Feeds> {
  const session = await openSession(model instanceof Uint8Array || typeof model === 'string' ? model : encodeModel(model), opts);
  try { return await runSession(session, feeds); } finally { await session.release(); }
}

/** Runs the pieces in the order given; returns every tensor known at the end (feeds included). */
export async function runPieces(g: Graph, pieces: string[][], feeds: Feeds, opts: SessionOptions = EXACT): Promise<Feeds> {
  const env: Feeds = { ...feeds };
  for (const nodes of pieces) {
    // Weights only (each reader carries its own copy) or dead nodes: nothing to run, as the build stage does.
    if (pieceOf(g, nodes).outputs.length === 0) continue;
    const { model, piece } = extractModel(g, nodes);
    const missing = piece.inputs.filter((i) => !env[i]);
    assert.deepEqual(missing, [], `piece [${nodes.join(', ')}] runs before its inputs exist`);
    const out = await runWhole(model, Object.fromEntries(piece.inputs.map((i) => [i, env[i]!])), opts);
    assert.deepEqual(Object.keys(out).sort(), [...piece.outputs].sort());
    Object.assign(env, out);
  }
  return env;
}

export function assertSameTensor(actual: PlainTensor | undefined, expected: PlainTensor, what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.deepEqual(actual.dims, expected.dims, `${what}: dims`);
  const a = actual.data as ArrayLike<number | bigint>;
  const e = expected.data as ArrayLike<number | bigint>;
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) {
    // Object.is: bit-level for floats we care about (NaN equals NaN, -0 differs from 0).
    if (!Object.is(a[i], e[i])) assert.fail(`${what}[${i}]: ${String(a[i])} !== ${String(e[i])}`);
  }
}

/** Contiguous pieces of the topological order: `k` pieces, random cut points. */
export function contiguousCut(g: Graph, k: number, rng: Rng): string[][] {
  const names = g.nodes.map((n) => n.name);
  const cuts = new Set<number>();
  while (cuts.size < Math.min(k, names.length) - 1) cuts.add(rng.int(1, names.length));
  const points = [0, ...[...cuts].sort((a, b) => a - b), names.length];
  return points.slice(1).map((end, i) => names.slice(points[i]!, end));
}

/**
 * A random topologically valid partition: each node gets a random label, raised to the largest label among its
 * producers, so piece L only reads pieces ≤ L. Pieces need not be contiguous in the file's node order.
 */
export function topologicalPartition(g: Graph, k: number, rng: Rng): string[][] {
  const label = new Map<string, number>();
  for (const n of g.nodes) {
    let l = rng.int(0, k);
    for (const i of n.inputs) {
      const p = g.tensors.get(i)?.producer;
      if (p) l = Math.max(l, label.get(p)!);
    }
    label.set(n.name, l);
  }
  const pieces: string[][] = Array.from({ length: k }, () => []);
  for (const n of g.nodes) pieces[label.get(n.name)!]!.push(n.name);
  return pieces.filter((p) => p.length > 0);
}
