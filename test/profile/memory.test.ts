/** Liveness timeline: exact known answers on hand-built graphs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, buildGraph, tensorProto } from '../../src/graph/index.js';
import { memoryTimeline, sharedWeights } from '../../src/profile/index.js';
import { prepare } from '../graph/compose.js';

const zeros = (n: number) => new Float32Array(n);

test('chain: input freed after first reader, each activation after its reader', async () => {
  // x[1,4] -> Relu a -> Neg b -> Abs y ; all float32 of 4 elements = 16 bytes.
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 4]);
  const a = b.node('Relu', [x], {}, { name: 'a' });
  const n = b.node('Neg', [a], {}, { name: 'b' });
  const y = b.node('Abs', [n], {}, { name: 'c' });
  b.output(y, 'float32', [1, 4]);
  const { graph } = await prepare(b.model());
  const m = memoryTimeline(graph);
  assert.deepEqual(m.nodes.map((x) => x.liveBytesDuring), [32, 32, 32]);
  assert.deepEqual(m.nodes.map((x) => x.liveBytesAfter), [16, 16, 16]);
  assert.deepEqual(m.nodes.map((x) => x.outputBytes), [16, 16, 16]);
  assert.equal(m.weightsBytes, 0);
  assert.equal(m.peakActivationBytes, 32);
});

test('residual with weights: skip tensor stays alive, weights owned by first reader, graph output kept', async () => {
  // x[1,8] -> MatMul(W[8,8]) h -> Relu r -> Add(r, x) y ; also h is a graph output.
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 8]);
  const w = b.init('W', 'float32', [8, 8], zeros(64));
  const h = b.node('MatMul', [x, w], {}, { name: 'mm' });
  const r = b.node('Relu', [h], {}, { name: 'relu' });
  const bias = b.init('B', 'float32', [8], zeros(8));
  const r2 = b.node('Add', [r, bias], {}, { name: 'addb' });
  const y = b.node('Add', [r2, x], {}, { name: 'skip' });
  b.output(y, 'float32', [1, 8]);
  b.output(h, 'float32', [1, 8]);
  const { graph } = await prepare(b.model());
  const m = memoryTimeline(graph);
  // 32 bytes per activation. x alive until 'skip'; h alive to the end (graph output).
  assert.deepEqual(m.nodes.map((n) => n.paramBytes), [256, 0, 32, 0]);
  assert.deepEqual(m.nodes.map((n) => n.liveBytesDuring), [64, 96, 128, 128]);
  assert.deepEqual(m.nodes.map((n) => n.liveBytesAfter), [64, 96, 96, 64]);
  assert.equal(m.weightsBytes, 288);
  assert.equal(m.peakActivationBytes, 128);
  // (max − min)/max of weights + live-after: (384 − 352)/384.
  assert.equal(m.fluctuation, (384 - 352) / 384);
});

test('Constant-node tensors count as weights, outputs nobody reads are freed at once', async () => {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [2, 2]);
  const c = b.node('Constant', [], { value: tensorProto('k', 'float32', [2, 2], zeros(4)) }, { name: 'const', outputNames: ['k'] });
  const [vals] = b.nodeN('TopK', [x, b.init('kk', 'int64', [1], BigInt64Array.of(1n))], { axis: 1 }, 2, { name: 'topk' });
  const y = b.node('Mul', [x, c], { }, { name: 'mul' });
  const z = b.node('Add', [y, vals!], {}, { name: 'add' });
  b.output(z, 'float32', [2, 2]);
  const graph = buildGraph(b.model());
  const { graph: g } = await prepare(b.model());
  assert.equal(graph.nodes.length, 4);
  const m = memoryTimeline(g);
  const by = Object.fromEntries(g.nodes.map((n, i) => [n.name, m.nodes[i]!]));
  // TopK: values [2,1] f32 = 8 B kept for 'add'; indices [2,1] int64 = 16 B, read by nobody, freed right away.
  assert.equal(by.topk!.outputBytes, 24);
  assert.equal(by.topk!.liveBytesDuring, 16 + 24);
  assert.equal(by.topk!.liveBytesAfter, 16 + 8);
  assert.equal(by.const!.liveBytesAfter, by.const!.liveBytesDuring, 'a Constant adds no activation');
  assert.equal(by.mul!.paramBytes, 16, 'the Constant tensor is owned by its first reader');
  assert.equal(m.weightsBytes, 16 + 8);
});

test('a weight read by nodes of two layers (tied embedding) is listed with both; one read once is not', async () => {
  // x[1,8] -> MatMul(W) h -> Relu r -> MatMul(W) y: W[8,8] (256 B) read by nodes 0 and 2; B read by node 1 only.
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 8]);
  const w = b.init('W', 'float32', [8, 8], zeros(64));
  const h = b.node('MatMul', [x, w], {}, { name: 'mm0' });
  const bias = b.init('B', 'float32', [8], zeros(8));
  const r = b.node('Add', [h, bias], {}, { name: 'add' });
  const y = b.node('MatMul', [r, w], {}, { name: 'mm1' });
  b.output(y, 'float32', [1, 8]);
  const { graph } = await prepare(b.model());
  // Layers: node 0 → 0, nodes 1–2 → 1.
  assert.deepEqual(sharedWeights(graph, (i) => (i === 0 ? 0 : 1)), [{ name: 'W', mb: 256 / 2 ** 20, layers: [0, 1] }]);
  // All in one layer: nothing is shared across layers.
  assert.deepEqual(sharedWeights(graph, () => 0), []);
});

test('a weight tied through a constant-folding node (a head reading Transpose(embedding)) is shared by both readers', async () => {
  // ids -> Gather(E) h -> MatMul(Transpose(E)) logits: E is read by the Gather and, through the Transpose, by the MatMul.
  const b = new GraphBuilder();
  const ids = b.input('ids', 'int64', [1, 4]);
  const e = b.init('E', 'float32', [16, 8], zeros(128));
  const h = b.node('Gather', [e, ids], {}, { name: 'embed' });
  const et = b.node('Transpose', [e], { perm: [1, 0] }, { name: 'tie' });
  const y = b.node('MatMul', [h, et], {}, { name: 'head' });
  b.output(y, 'float32', [1, 4, 16]);
  const { graph } = await prepare(b.model());
  const at = (name: string) => graph.nodes.findIndex((n) => n.name === name);
  // The Transpose sits in the embedding's layer (it runs where its input is): only the head's layer reads E through it.
  const layerOf = (i: number) => (i === at('head') ? 1 : 0);
  assert.deepEqual(sharedWeights(graph, layerOf), [{ name: 'E', mb: 512 / 2 ** 20, layers: [0, 1] }]);
});
