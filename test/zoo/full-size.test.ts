/**
 * Full-size zoo models in onnxruntime: one per category, picked cheap (each builds in about a second and runs in
 * a few hundred ms at most). MOPAR_ZOO_FULL=1 runs all 12; bench/zoo-run.ts measures them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph, loadModel, openSession, randomInputs, resolveInputShapes, runSession } from '../../src/graph/index.js';
import { BATCH_DIM, writeZooModel, ZOO_MODELS } from '../../src/zoo/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-zoo-full-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const models = process.env.MOPAR_ZOO_FULL ? ZOO_MODELS.map((m) => m.name) : ['resnet50', 'mobilenetv2', 'deit-s16', 'dlrm'];
const OUTPUTS: Record<string, Record<string, number[]>> = {
  'bert-base': { last_hidden_state: [1, 128, 768], pooler_output: [1, 768] },
  gpt2: { logits: [1, 128, 50257] },
  dlrm: { probability: [1, 1] },
};

for (const name of models) {
  test(`${name} full size: builds with the listed parameter count and a dynamic batch (the default), runs in onnxruntime`, async () => {
    const file = join(dir, `${name}.onnx`);
    const r = writeZooModel(name, file);
    assert.equal(r.params, ZOO_MODELS.find((m) => m.name === name)!.params);
    const loaded = loadModel(file);
    const g = buildGraph(loaded.proto);
    for (const i of [...g.inputs, ...g.outputs]) assert.equal(g.tensors.get(i)!.shape![0], BATCH_DIM, `${i} dim 0`);
    const shapes = resolveInputShapes(g); // the symbolic batch becomes 1
    const session = await openSession(file);
    try {
      const out = await runSession(session, randomInputs(g, shapes, 1));
      const expected = OUTPUTS[name] ?? { logits: [1, 1000] };
      assert.deepEqual(Object.keys(out).sort(), Object.keys(expected).sort());
      for (const [k, dims] of Object.entries(expected)) {
        assert.deepEqual(out[k]!.dims, dims);
        for (const v of out[k]!.data as Float32Array) assert.ok(Number.isFinite(v), `${k} has a non-finite value`);
      }
    } finally {
      await session.release();
      rmSync(file);
    }
  });
}
