import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/random.js';
import {
  GraphBuilder, allclose, buildGraph, constantNodes, encodeModel, extractModel, openModel, openSession,
  randomInputs, runSession, saveModel, tensorProto, type ModelProto,
} from '../../src/graph/index.js';
import { crossings, cutPoints } from '../../src/profile/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-fold-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/**
 * torch.onnx habits in one chain of 4 convs: one deduplicated bias fanned out through Identity nodes at the top,
 * a weight stored transposed and Transpose'd back, a Cast of an fp64 scale, a Constant reshaped into a bias,
 * and an embedding-like matrix tied to the head (read by a MatMul through an Identity and a Transpose).
 */
function exporterHabits(): ModelProto {
  const rng = new Rng(3);
  const b = new GraphBuilder('habits');
  const rand = (dims: number[]) => Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.normal() * 0.3);
  // 256 channels: the bias is 1 KiB, large enough to count as a significant tensor crossing a cut.
  const C = 256;
  const bias = b.init('shared_bias', 'float32', [C], rand([C]));
  const aliases = [0, 1, 2, 3].map((i) => b.node('Identity', [bias], {}, { name: `Identity_${i}` }));
  let x = b.input('x', 'float32', ['batch', C, 3, 3]);
  for (let i = 0; i < 4; i++) {
    const wT = b.init(`w${i}_t`, 'float32', [1, 1, C, C], rand([1, 1, C, C]).map((v) => v / 8));
    const w = b.node('Transpose', [wT], { perm: [3, 2, 0, 1] });
    x = b.node('Relu', [b.node('Conv', [x, w, aliases[i]!], { kernel_shape: [1, 1] })]);
  }
  const scale64 = b.init('scale64', 'float64', [1], Float64Array.of(0.5));
  x = b.node('Mul', [x, b.node('Cast', [scale64], { to: 1 })]);
  const c = b.node('Constant', [], { value: tensorProto('c', 'float32', [C], rand([C])) }, { outputNames: ['cvals'] });
  x = b.node('Add', [x, b.node('Reshape', [c, b.init('to', 'int64', [3], BigInt64Array.from([BigInt(C), 1n, 1n]))])]);
  const pooled = b.node('Flatten', [b.node('GlobalAveragePool', [x])]);
  const table = b.init('embedding', 'float32', [10, C], rand([10, C]));
  const tied = b.node('Transpose', [b.node('Identity', [table])], { perm: [1, 0] });
  b.node('MatMul', [pooled, tied], {}, { outputNames: ['logits'] });
  b.output('logits', 'float32', ['batch', 10]);
  return b.model(14);
}

test('foldConstants: every node that computes only from constants becomes a weight; outputs unchanged', async () => {
  const model = exporterHabits();
  const file = join(dir, 'habits.onnx');
  saveModel(model, file);
  const before = buildGraph(model);
  const foldable = constantNodes(before).map((n) => n.op).sort();
  assert.deepEqual(foldable, ['Cast', 'Identity', 'Identity', 'Identity', 'Identity', 'Identity', 'Reshape',
    'Transpose', 'Transpose', 'Transpose', 'Transpose', 'Transpose']);

  const { graph, folded } = await openModel(file);
  assert.equal(folded, 12);
  assert.equal(constantNodes(graph).length, 0);
  assert.deepEqual([...new Set(graph.nodes.map((n) => n.op))].sort(), ['Add', 'Conv', 'Flatten', 'GlobalAveragePool', 'MatMul', 'Mul', 'Relu']);
  // The aliases keep their names and share the bias bytes; the replaced originals are gone.
  const aliases = [0, 1, 2, 3].map((i) => graph.initializers.get(before.nodeByName.get(`Identity_${i}`)!.outputs[0]!)!.rawData);
  assert.ok(Buffer.from(aliases[0]!).equals(Buffer.from(before.initializers.get('shared_bias')!.rawData)));
  // Zero-copy: the four aliases are views of the same bytes of the loaded file.
  for (const a of aliases) assert.ok(a.buffer === aliases[0]!.buffer && a.byteOffset === aliases[0]!.byteOffset);
  assert.ok(!graph.initializers.has('w0_t') && !graph.initializers.has('scale64'));

  const feeds = randomInputs(graph, { x: [2, 256, 3, 3] }, 5);
  const [a, b] = await Promise.all([openSession(file), openSession(encodeModel(graph.model))]);
  try {
    const want = await runSession(a, feeds);
    const got = await runSession(b, feeds);
    const c = allclose(got.logits, want.logits);
    assert.ok(c.ok && c.maxAbsErr === 0, `folded model differs: ${c.maxAbsErr}`);
  } finally {
    await a.release();
    await b.release();
  }
});

test('after folding, the shared bias crosses no cut: every conv boundary is a cut point, each slice holds its copy', async () => {
  const file = join(dir, 'habits2.onnx');
  saveModel(exporterHabits(), file);
  const unfolded = buildGraph(exporterHabits());
  const { inferShapes } = await import('../../src/graph/index.js');
  await inferShapes(unfolded, { x: [1, 256, 3, 3] });
  const { graph } = await openModel(file);
  const cutsBefore = cutPoints(unfolded, crossings(unfolded)).filter((p) => unfolded.nodes[p]!.op === 'Relu');
  const cutsAfter = cutPoints(graph, crossings(graph)).filter((p) => graph.nodes[p]!.op === 'Relu');
  assert.ok(cutsBefore.length < 4, `unfolded: ${cutsBefore.length} cuts after a Relu (the bias aliases cross them)`);
  assert.equal(cutsAfter.length, 4);
  for (const c of crossings(graph)) assert.ok(!c.tensors.some((t) => graph.initializers.has(t)), 'a weight crosses a cut');
  // Two slices that read the same (deduplicated) bias each carry it.
  const convs = graph.nodes.filter((n) => n.op === 'Conv');
  const first = extractModel(graph, [convs[0]!.name]).piece;
  const second = extractModel(graph, [convs[1]!.name]).piece;
  assert.equal(first.inputs.length, 1);
  assert.equal(second.inputs.length, 1);
  assert.ok(first.initializers.length === 2 && second.initializers.length === 2);
});
