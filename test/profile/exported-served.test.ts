/**
 * A partitioned real export (torch.onnx.export with a dynamic batch axis) served by the embedded runtime: the
 * metadata shows the batch as -1, and a batch-4 KServe v2 request through the gateway answers what the unsplit
 * model answers (the partition was profiled and built at batch 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allclose, openModel, openSession, randomInputs, runSession } from '../../src/graph/index.js';
import { profileModel } from '../../src/profile/index.js';
import { planPartition } from '../../src/plan/index.js';
import { buildPartition } from '../../src/partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata } from '../../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-exported-served-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('gpt2-like export, 3 functions: metadata batch -1; a batch-4 request equals the unsplit model', async () => {
  const model = join(import.meta.dirname, '..', 'fixtures', 'exported', 'gpt2-like.onnx');
  const profile = await profileModel(model, { runs: 1, cpuScaling: false, measureRss: false });
  const { graph } = await openModel(model, profile.inputShapes);
  const plan = planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform:3', allowSloMiss: true, graph });
  const out = join(dir, 'p');
  await buildPartition(model, plan, out);

  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const name = gw.addModel(out, 'gpt2-like');
    const { port } = await gw.listen(0);
    const url = `http://127.0.0.1:${port}`;
    const meta = await modelMetadata(url, name);
    assert.deepEqual(meta.inputs.map((i) => i.shape), [[-1, 32]]);
    assert.equal(meta.outputs[0]!.shape[0], -1);

    const feeds = randomInputs(graph, { input: [4, 32] }, 9);
    const r = await infer(url, name, feeds);
    assert.equal(r.status, 200, JSON.stringify(r.raw));
    const ref = await openSession(model);
    try {
      const want = await runSession(ref, feeds);
      assert.deepEqual(r.outputs.output!.dims, [4, 32, 256]);
      const c = allclose(r.outputs.output, want.output);
      assert.ok(c.ok, `max abs ${c.maxAbsErr}, worst ${JSON.stringify(c.worst)}`);
    } finally {
      await ref.release();
    }
  } finally {
    await gw.close();
  }
});
