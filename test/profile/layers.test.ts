/** Cut points and layers: known cuts on hand-built graphs; every layer is a valid sub-model and the layers
 * chained reproduce the whole model bit for bit (same kernels, optimisations off). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, type ModelProto } from '../../src/graph/index.js';
import { crossings, cutPoints, layerRanges } from '../../src/profile/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { FIXTURES } from '../fixtures/graphs.js';
import { assertSameTensor, prepare, runPieces, runWhole } from '../graph/compose.js';

const w = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 13) / 13 - 0.5);

test('chain: a cut after every node, one tensor crossing each', async () => {
  const b = new GraphBuilder();
  let x = b.input('x', 'float32', [1, 64]);
  for (let i = 0; i < 4; i++) x = b.node(i % 2 ? 'Relu' : 'MatMul', i % 2 ? [x] : [x, b.init('w', 'float32', [64, 64], w(4096))], {}, { name: `n${i}` });
  b.output(x, 'float32', [1, 64]);
  const { graph } = await prepare(b.model());
  const cross = crossings(graph);
  assert.deepEqual(cross.map((c) => c.tensors.length), [1, 1, 1]);
  assert.deepEqual(cross.map((c) => c.bytes), [256, 256, 256]);
  assert.deepEqual(cutPoints(graph), [0, 1, 2]);
  assert.deepEqual(layerRanges(4, [0, 1, 2]), [[0, 0], [1, 1], [2, 2], [3, 3]]);
});

test('residual block: no cut inside the block, cuts where only the sum crosses', async () => {
  const b = new GraphBuilder();
  let x = b.input('x', 'float32', [1, 512]);
  x = b.node('Relu', [x], {}, { name: 'stem' });
  for (let k = 0; k < 2; k++) {
    const h = b.node('MatMul', [x, b.init('w', 'float32', [512, 512], w(512 * 512))], {}, { name: `b${k}_mm` });
    const r = b.node('Relu', [h], {}, { name: `b${k}_relu` });
    x = b.node('Add', [r, x], {}, { name: `b${k}_add` });
  }
  b.output(x, 'float32', [1, 512]);
  const { graph } = await prepare(b.model());
  const names = graph.nodes.map((n) => n.name);
  assert.deepEqual(cutPoints(graph).map((p) => names[p]), ['stem', 'b0_add']);
});

test('DenseNet-style concatenation: cut after each Concat although several tensors cross; bytes counted', async () => {
  // f0 = relu(x); f1 = relu(mm(f0)); c1 = concat(f0,f1); f2 = relu(mm(c1)); c2 = concat(f0,f1,f2); y = mm(c2)
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 256]);
  const f0 = b.node('Relu', [x], {}, { name: 'f0' });
  const f1 = b.node('Relu', [b.node('MatMul', [f0, b.init('w', 'float32', [256, 256], w(256 * 256))], {}, { name: 'mm1' })], {}, { name: 'f1' });
  const c1 = b.node('Concat', [f0, f1], { axis: 1 }, { name: 'c1' });
  const f2 = b.node('Relu', [b.node('MatMul', [c1, b.init('w', 'float32', [512, 256], w(512 * 256))], {}, { name: 'mm2' })], {}, { name: 'f2' });
  const c2 = b.node('Concat', [f0, f1, f2], { axis: 1 }, { name: 'c2' });
  const y = b.node('MatMul', [c2, b.init('w', 'float32', [768, 16], w(768 * 16))], {}, { name: 'head' });
  b.output(y, 'float32', [1, 16]);
  const { graph } = await prepare(b.model());
  const names = graph.nodes.map((n) => n.name);
  const cross = crossings(graph);
  const at = (n: string) => cross[names.indexOf(n)]!;
  assert.deepEqual(at('c1').tensors.sort(), [c1, f0, f1].sort());
  assert.equal(at('c1').bytes, 2 * 512 * 4);
  const cuts = cutPoints(graph).map((p) => names[p]);
  assert.ok(cuts.includes('c1') && cuts.includes('c2'), `cuts: ${cuts}`);
  assert.ok(!cuts.includes('mm2'), 'no cut where the concat inputs and a fresh branch both cross');
});

async function layersReproduce(model: ModelProto, overrides = {}) {
  const { graph, feeds } = await prepare(model, overrides);
  const ranges = layerRanges(graph.nodes.length, cutPoints(graph));
  const pieces = ranges.map(([a, b]) => graph.nodes.slice(a, b + 1).map((n) => n.name));
  assert.equal(pieces.flat().length, graph.nodes.length, 'layers cover every node once');
  const whole = await runWhole(model, feeds);
  const env = await runPieces(graph, pieces, feeds);
  // Outputs that are graph inputs or initializers pass through no layer (the pipeline forwards them).
  const produced = graph.outputs.filter((o) => graph.tensors.get(o)!.producer);
  for (const o of produced) assertSameTensor(env[o], whole[o]!, o);
  return pieces.length;
}

for (const fx of FIXTURES.filter((f) => !f.subgraphs)) {
  test(`fixture ${fx.name}: every layer is a valid sub-model; layers chained reproduce the model`, async () => {
    await layersReproduce(fx.build(), fx.inputShapes);
  });
}

for (const name of ['resnet50', 'bert-base', 'densenet121', 'gpt2']) {
  test(`tiny ${name}: layers valid and reproduce the model`, async () => {
    const n = await layersReproduce(buildZooModel(name, { tiny: true }));
    assert.ok(n >= 3, `${name}: only ${n} layers`);
  });
}

test('post-norm transformer: never a cut between a residual Add and the LayerNormalization fused with it', async () => {
  const { graph } = await prepare(buildZooModel('bert-base', { tiny: true }));
  const cuts = cutPoints(graph);
  let fusedPairs = 0;
  for (let p = 0; p + 1 < graph.nodes.length; p++) {
    const [a, b] = [graph.nodes[p]!, graph.nodes[p + 1]!];
    if (a.op === 'Add' && b.op === 'LayerNormalization' && b.inputs[0] === a.outputs[0]) {
      fusedPairs++;
      assert.ok(!cuts.includes(p), `cut between ${a.name} and ${b.name}`);
    }
  }
  assert.ok(fusedPairs >= 4, `${fusedPairs} Add → LayerNormalization pairs in tiny BERT`);
  // The layer then starts at the LayerNormalization's output: one tensor (plus the mask) still crosses.
  assert.ok(cuts.some((p) => graph.nodes[p]!.op === 'LayerNormalization'), 'cuts after the LayerNormalization instead');
});

test('pre-norm transformer: the residual stream after each block\'s Add stays a cut point', async () => {
  for (const name of ['gpt2', 'vit-b16']) {
    const { graph } = await prepare(buildZooModel(name, { tiny: true }));
    const cuts = new Set(cutPoints(graph));
    let residuals = 0;
    for (let p = 0; p + 1 < graph.nodes.length; p++) {
      const [a, b] = [graph.nodes[p]!, graph.nodes[p + 1]!];
      if (a.op !== 'Add' || b.op !== 'LayerNormalization' || b.inputs[0] !== a.outputs[0]) continue;
      if (graph.tensors.get(a.outputs[0]!)!.consumers.length < 2) continue;
      residuals++;
      assert.ok(cuts.has(p), `${name}: no cut after residual ${a.name}`);
    }
    assert.ok(residuals >= 2, `${name}: ${residuals} residual Adds read by a LayerNormalization and the next block`);
  }
});
