/**
 * Full-size zoo models in onnxruntime. By default only the cheap ones run (MobileNetV2: 13 MB, DLRM: 207 MB of
 * embeddings but little compute); MOPAR_ZOO_FULL=1 runs one per category (bench/zoo-run.ts measures all 12).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph, loadModel, openSession, randomInputs, runSession } from '../../src/graph/index.js';
import { writeZooModel, ZOO_MODELS } from '../../src/zoo/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-zoo-full-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const models = process.env.MOPAR_ZOO_FULL ? ['resnet50', 'mobilenetv2', 'deit-s16', 'dlrm'] : ['mobilenetv2', 'dlrm'];

for (const name of models) {
  test(`${name} full size: builds with the listed parameter count and runs in onnxruntime`, async () => {
    const file = join(dir, `${name}.onnx`);
    const r = writeZooModel(name, file);
    assert.equal(r.params, ZOO_MODELS.find((m) => m.name === name)!.params);
    const loaded = loadModel(file);
    const g = buildGraph(loaded.proto);
    const shapes = Object.fromEntries(g.inputs.map((i) => [i, g.tensors.get(i)!.shape as number[]]));
    const session = await openSession(file);
    try {
      const out = await runSession(session, randomInputs(g, shapes, 1));
      for (const t of Object.values(out)) {
        for (const v of t.data as Float32Array) assert.ok(Number.isFinite(v));
      }
      if (name !== 'dlrm') assert.deepEqual(out.logits!.dims, [1, 1000]);
      else assert.deepEqual(out.probability!.dims, [1, 1]);
    } finally {
      await session.release();
      rmSync(file);
    }
  });
}
