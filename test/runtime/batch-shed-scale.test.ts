/**
 * Issue 29: a function-level shedding decision judges a batched request by its own rows. A plan made at batch 8
 * predicts batch 8's time; a request of 1 row needs about an eighth of it. Measured on Lambda (workload bench,
 * 7.5 req/s): batches of 2–3 rows were shed at the function as needing 92 ms with 65 ms left, while the answered
 * ones took 138 ms p50 against a 200 ms SLO. Deterministic: the predicted time is written into the manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Feeds } from '../../src/graph/index.js';
import { partitionModel } from '../../src/partition/index.js';
import { DEFAULT_GATEWAY, Gateway } from '../../src/runtime/index.js';
import { DeadlineError } from '../../src/runtime/admission.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

test('function-level shedding scales the predicted time by the request\'s rows ÷ the batch it was predicted at', async () => {
  const d = tmpDir('batch-shed-scale');
  const g = new Gateway({ ...DEFAULT_GATEWAY });
  try {
    const model = join(d, 'mobilenetv2.onnx');
    writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
    const out = join(d, 'fns');
    await partitionModel(model, { plan: { platform: 'aws-lambda', strategy: 'unsplit', allowSloMiss: true, maxBatch: 8 }, outDir: out });
    const file = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    // A batching build (bench --workload) has a dynamic batch and no maxBatch: the scale must not depend on it.
    delete manifest.maxBatch;
    const input = manifest.inputs[0] as string;
    // Predicted at batch 8: 40 s (far above the real run, so the decision rests on the prediction alone).
    manifest.inputShapes = { ...manifest.inputShapes, [input]: [8, ...manifest.inputShapes[input].slice(1)] };
    for (const f of manifest.functions) f.predictedMs = 40_000;
    writeFileSync(file, JSON.stringify(manifest));
    g.addModel(out, 'm');
    await g.listen(0);
    const m = g.models.get('m')!;
    const dims = (rows: number): number[] => [rows, ...manifest.inputShapes[input].slice(1)];
    const feeds = (rows: number): Feeds => {
      const shape = dims(rows);
      return { [input]: { dtype: 'float32', dims: shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) } };
    };
    // 20 s left: batch 1 needs 5 s (40 s × 1/8) and runs; batch 8 needs 40 s and is shed before it runs.
    const one = await m.infer(feeds(1), undefined, { deadline: performance.now() + 20_000 });
    assert.deepEqual(Object.values(one.outputs)[0]!.dims[0], 1);
    await assert.rejects(m.infer(feeds(8), undefined, { deadline: performance.now() + 20_000 }), (err: unknown) => {
      assert.ok(err instanceof DeadlineError, String(err));
      assert.match(err.message, /predicted to need 40000 ms/);
      return true;
    });
  } finally {
    await g.close();
    cleanup(d);
  }
});
