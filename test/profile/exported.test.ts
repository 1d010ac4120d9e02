/**
 * Real exporter output (test/fixtures/exported, written by scripts/export-fixtures.py with torch.onnx.export,
 * small widths, dynamic batch): each profiles into about as many layers as its architecture has blocks,
 * partitions under several strategies, and the partitions reproduce the unsplit model at batch 1 and batch 4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constantNodes, openModel } from '../../src/graph/index.js';
import { crossings, cutPoints, layerRanges, profileModel } from '../../src/profile/index.js';
import { planPartition } from '../../src/plan/index.js';
import { buildPartition, verifyPartition, type Manifest } from '../../src/partition/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'exported');
const dir = mkdtempSync(join(tmpdir(), 'mopar-exported-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Expected layers, from each architecture's blocks (and what the zoo's version of it gets):
const EXPECTED: Record<string, { layers: number; why: string }> = {
  // 16 bottlenecks: a cut after each conv+relu of the main path and after each residual Relu, as the zoo's
  // ResNet-50 (38 layers, 37 cut points at full size).
  resnet50: { layers: 38, why: 'as the zoo ResNet-50' },
  // 13 convs, 5 pools, classifier: the zoo's VGG-16 has 37; torchvision adds the AdaptiveAvgPool (AveragePool).
  vgg16: { layers: 38, why: "the zoo VGG-16's 37 + AdaptiveAvgPool" },
  // 4 pre-norm blocks: 2 cuts per block (after each residual Add), embeddings and head: as the zoo GPT-2 (29 for 12).
  'gpt2-like': { layers: 11, why: '2 per block + 3' },
  // 4 post-norm blocks (BERT): 2 per block (after each residual LayerNorm) + embedding, norm, [CLS] gather, pooler,
  // tanh; the zoo BERT-base also cuts twice per block (32 layers for 12, its ends differ: docs/results/real-exporters.md).
  'bert-like': { layers: 13, why: '2 per block + 5' },
  // 3 pre-norm blocks + patch embedding / class token + head.
  'vit-b16': { layers: 15, why: '4 per block + 3' },
  // CRNN: 6 conv blocks (conv, relu, pool) then the LSTM and the head.
  crnn: { layers: 27, why: 'conv stack + LSTM + head' },
  // 11 inverted residuals, each with its squeeze-excite: one layer per conv/activation boundary.
  'mobilenetv3-small': { layers: 74, why: '52 convs' },
};

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`${name} (torch.onnx.export): ${want.layers} layers (${want.why}); no constant subgraph left`, async () => {
    const { graph, folded } = await openModel(join(FIXTURES, `${name}.onnx`));
    assert.equal(constantNodes(graph).length, 0);
    assert.ok(graph.batch?.dynamic, `dynamic batch kept: ${JSON.stringify(graph.batch)}`);
    const cross = crossings(graph);
    for (const c of cross) assert.ok(!c.tensors.some((t) => graph.initializers.has(t)), 'a weight crosses a cut');
    const layers = layerRanges(graph.nodes.length, cutPoints(graph, cross)).length;
    assert.equal(layers, want.layers, `${name}: ${layers} layers (${folded} constant nodes folded)`);
  });
}

const STRATEGIES: Record<string, string[]> = {
  resnet50: ['layerwise', 'uniform:3'],
  vgg16: ['uniform:4', 'layerwise'],
  'gpt2-like': ['layerwise', 'uniform:2'],
  'bert-like': ['uniform:3'],
  'vit-b16': ['uniform:2'],
  crnn: ['uniform:3'],
  'mobilenetv3-small': ['uniform:3'],
};

for (const [name, strategies] of Object.entries(STRATEGIES)) {
  test(`${name}: partitions under ${strategies.join(', ')}; verified exact at batch 1 and batch 4; batch stays dynamic`, async () => {
    const model = join(FIXTURES, `${name}.onnx`);
    const profile = await profileModel(model, { runs: 1, cpuScaling: false, measureRss: false });
    assert.equal(profile.layers.length, EXPECTED[name]!.layers);
    const { graph } = await openModel(model, profile.inputShapes);
    for (const strategy of strategies) {
      const out = join(dir, `${name}-${strategy.replace(':', '')}`);
      const plan = planPartition(profile, { platform: 'aws-lambda', strategy, allowSloMiss: true, graph });
      const m = await buildPartition(model, plan, out);
      const k = Number(strategy.split(':')[1] ?? 0);
      if (k) assert.equal(m.functions.length, k, `${strategy}: ${m.functions.length} functions`);
      else assert.ok(m.functions.length > 1, `${strategy}: ${m.functions.length} functions`);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
      for (const t of [...manifest.inputs, ...manifest.outputs]) assert.equal(manifest.tensors[t]!.shape[0], -1, `${t} batch in manifest`);
      for (const batch of [1, 4]) {
        const v = await verifyPartition(model, out, { runs: 1, batch });
        assert.ok(v.ok, `${strategy} at batch ${batch}: max abs ${v.maxAbsErr}, worst ${JSON.stringify(v.worst)}`);
        assert.equal(v.batch, batch);
      }
    }
  });
}
