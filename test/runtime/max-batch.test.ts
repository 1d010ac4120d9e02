/**
 * The embedded gateway and a model's max batch (manifest `maxBatch`): metadata reports it, a request at it is
 * answered like the unsplit model, one over it is a 400 naming the limit, the default body limit follows it, and
 * batching never puts more rows in one run than it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allclose } from '../../src/graph/compare.js';
import { openSession, runSession } from '../../src/graph/runner.js';
import type { Feeds } from '../../src/graph/index.js';
import { partitionModel } from '../../src/partition/index.js';
import { DEFAULT_GATEWAY, Gateway, binaryInferRequest, errorOf, httpRequest, infer, modelMetadata, type ModelMetadata } from '../../src/runtime/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir, weights } from './helpers.js';

const MAX = 4;
let dir = '';
let model = '';
let gw: Gateway;
let base = '';
let meta: ModelMetadata;

/** Random inputs at batch `n` (the metadata's -1 leading dim). */
function feedsAt(n: number, seed: number): Feeds {
  const out: Feeds = {};
  for (const t of meta.inputs) {
    const dims = t.shape.map((d, i) => (i === 0 && d === -1 ? n : d));
    out[t.name] = { dtype: 'float32', dims, data: weights(dims.reduce((a, b) => a * b, 1), seed) };
  }
  return out;
}

before(async () => {
  dir = tmpDir('max-batch');
  model = join(dir, 'm.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  await partitionModel(model, {
    profiling: { runs: 2, measureRss: false, cpuScaling: false },
    plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true, maxBatch: MAX }, outDir: join(dir, 'fns'),
  });
  gw = new Gateway({ ...DEFAULT_GATEWAY });
  gw.addModel(join(dir, 'fns'), 'p');
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
  meta = await modelMetadata(base, 'p');
});
after(async () => { await gw?.close(); cleanup(dir); });

test('metadata: parameters.max_batch_size, shapes keep the batch dim as -1', async () => {
  const m = JSON.parse((await httpRequest(`${base}/v2/models/p`)).body.toString());
  assert.equal(m.parameters.max_batch_size, MAX);
  assert.ok(m.inputs.every((t: { shape: number[] }) => t.shape[0] === -1), JSON.stringify(m.inputs));
});

test('a request at the max batch is answered, allclose to the unsplit model; one over it is 400 naming the limit', async () => {
  const feeds = feedsAt(MAX, 7);
  const reply = await infer(base, 'p', feeds);
  const session = await openSession(model, { threads: 1 });
  try {
    const want = await runSession(session, feeds);
    for (const name of Object.keys(want)) {
      assert.equal(reply.outputs[name]!.dims[0], MAX);
      const c = allclose(reply.outputs[name], want[name]);
      assert.ok(c.ok, `${name}: ${c.mismatch ?? `max abs err ${c.maxAbsErr}`}`);
    }
  } finally {
    await session.release();
  }
  const { body, headers } = binaryInferRequest(feedsAt(MAX + 1, 8));
  const r = await httpRequest(`${base}/v2/models/p/infer`, { method: 'POST', headers, body });
  assert.equal(r.status, 400);
  assert.equal(errorOf(r), `batch ${MAX + 1} is over this model's max batch ${MAX}`);
});

test('the default body limit counts the batch dim as the max batch (not 64)', async () => {
  // The contract's rule: every value as 64 bytes of JSON + 1 MiB, the batch dim counted as the max batch.
  const values = (batch: number) => meta.inputs.reduce((s, t) => s + t.shape.reduce((a, d, i) => a * (i === 0 ? batch : d), 1), 0);
  const limit = values(MAX) * 64 + 2 ** 20;
  assert.ok(limit < (values(64) * 64 + 2 ** 20) / 4);
  // Over the limit: refused unread (413), though the old rule (64 rows) would have read it.
  const big = await httpRequest(`${base}/v2/models/p/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(limit + 1, 0x20) });
  assert.equal(big.status, 413);
  // Just under it: read and parsed (a body of blanks is not JSON: 400, not 413).
  const under = await httpRequest(`${base}/v2/models/p/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(limit - 1, 0x20) });
  assert.equal(under.status, 400);
});

test('batching: a batch never holds more rows than the max batch, whatever the group allows', async () => {
  gw.enableBatching('p', { groups: [{ apps: [{ name: 'a', sloMs: 60_000 }], maxBatch: 8, timeoutMs: 300 }] });
  // Three requests of 2 rows: at most two of them (4 rows) per run.
  const replies = await Promise.all([1, 2, 3].map((i) => infer(base, 'p', feedsAt(2, 20 + i), { app: 'a' })));
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.ok(r.batchSize! <= 2, `batch of ${r.batchSize} requests of 2 rows over max batch ${MAX}`);
  }
  assert.ok(replies.some((r) => r.batchSize === 2), JSON.stringify(replies.map((r) => r.batchSize)));
});
