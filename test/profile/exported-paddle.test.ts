/**
 * Real exporter output not written by PyTorch: PaddleOCR models converted by paddle2onnx
 * (test/fixtures/exported/paddle, from an npm package). Symbolic batch, height and width; Constant nodes for
 * every scalar. Each profiles into its blocks, partitions, and the partitions reproduce the unsplit model at
 * batch 1 and batch 4 (the batch stays dynamic although the other dims are fixed by --input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constantNodes, openModel } from '../../src/graph/index.js';
import { profileModel } from '../../src/profile/index.js';
import { planPartition } from '../../src/plan/index.js';
import { buildPartition, verifyPartition, type Manifest } from '../../src/partition/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'exported', 'paddle');
const dir = mkdtempSync(join(tmpdir(), 'mopar-paddle-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const MODELS = [
  // 342 Constant nodes (scalars of HardSwish, BN folding, Resize scales) fold to weights; 51 layers: the
  // backbone's conv/activation boundaries, then the FPN's merges and the DB head (one cut per upsampling step).
  { file: 'ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 160, 160], layers: 51, strategies: ['uniform:3', 'uniform:5'] },
  // MobileNetV3-small x0.35: one layer per conv/activation boundary (as the torch MobileNetV3 export).
  { file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', shape: [1, 3, 48, 192], layers: 75, strategies: ['uniform:3'] },
];

for (const m of MODELS) {
  test(`${m.file} (paddle2onnx): ${m.layers} layers, no constant subgraph left, batch dynamic; partitions verified at batch 1 and 4`, async () => {
    const model = join(FIXTURES, m.file);
    const inputShapes = { x: m.shape };
    const { graph } = await openModel(model, inputShapes);
    assert.equal(constantNodes(graph).length, 0);
    assert.ok(graph.batch?.dynamic, `dynamic batch kept: ${JSON.stringify(graph.batch)}`);
    const profile = await profileModel(model, { inputShapes, runs: 1, cpuScaling: false, measureRss: false });
    assert.equal(profile.layers.length, m.layers);
    for (const strategy of m.strategies) {
      const out = join(dir, `${m.file}-${strategy.replace(':', '')}`);
      const plan = planPartition(profile, { platform: 'aws-lambda', strategy, allowSloMiss: true, graph });
      const built = await buildPartition(model, plan, out);
      assert.equal(built.functions.length, Number(strategy.split(':')[1]));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
      assert.equal(manifest.tensors.x!.shape[0], -1, 'batch dynamic in the manifest');
      for (const batch of [1, 4]) {
        const v = await verifyPartition(model, out, { runs: 1, batch });
        assert.ok(v.ok, `${strategy} at batch ${batch}: max abs ${v.maxAbsErr}, atol ${v.atol}, worst ${JSON.stringify(v.worst)}`);
        assert.equal(v.batch, batch);
      }
    }
  });
}
