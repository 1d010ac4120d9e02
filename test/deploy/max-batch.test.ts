/**
 * The deployed entry and a model's max batch (pipeline.json `maxBatch`, from the manifest): metadata reports
 * it, a larger request is a 400 naming it before any function runs, and a batch never holds more rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedModel, pipelineModel } from '../../src/deploy/function-runtime/chain-entry.js';
import { v2Handler } from '../../src/deploy/function-runtime/v2.js';
import type { PipelineConfig } from '../../src/deploy/function-runtime/config.js';
import type { Feeds } from '../../src/graph/index.js';

const pipeline = (maxBatch?: number): PipelineConfig => ({
  model: 'm', inputs: ['x'], outputs: ['y'],
  tensors: { x: { dtype: 'float32', shape: [-1, 2] }, y: { dtype: 'float32', shape: [-1, 2] } },
  functions: [], ...(maxBatch !== undefined ? { maxBatch } : {}),
});

const body = (rows: number, app?: string) => Buffer.from(JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 2], data: Array.from({ length: rows * 2 }, (_, i) => i) }],
  ...(app ? { parameters: { app } } : {}),
}));

test('deployed entry: max_batch_size in metadata; a request over the max batch is 400 naming it and runs nothing', async () => {
  const runs: number[] = [];
  const v2 = v2Handler(pipelineModel(pipeline(3), async (feeds: Feeds) => { runs.push(feeds.x!.dims[0]!); return { y: feeds.x! }; }));
  const meta = await v2({ method: 'GET', path: '/v2/models/m', headers: {}, body: Buffer.alloc(0) });
  assert.equal(JSON.parse(meta.body.toString()).parameters.max_batch_size, 3);
  const ok = await v2({ method: 'POST', path: '/v2/models/m/infer', headers: {}, body: body(3) });
  assert.equal(ok.status, 200, ok.body.toString());
  const over = await v2({ method: 'POST', path: '/v2/models/m/infer', headers: {}, body: body(4) });
  assert.equal(over.status, 400);
  assert.equal(JSON.parse(over.body.toString()).error, 'batch 4 is over this model\'s max batch 3');
  assert.deepEqual(runs, [3]);
  // No maxBatch (a manifest from before the limit): no limit, as then.
  const old = v2Handler(pipelineModel(pipeline(), async (feeds: Feeds) => ({ y: feeds.x! })));
  assert.equal((await old({ method: 'POST', path: '/v2/models/m/infer', headers: {}, body: body(9) })).status, 200);
});

test('deployed entry batching: a batch holds no more rows than the max batch', async () => {
  const p = { ...pipeline(4), batching: { groups: [{ apps: [{ name: 'a', sloMs: 60_000 }], maxBatch: 8, timeoutMs: 200 }] } };
  const rows: number[] = [];
  const v2 = v2Handler(batchedModel(pipelineModel(p, async (feeds: Feeds) => { rows.push(feeds.x!.dims[0]!); return { y: feeds.x! }; }), p));
  const replies = await Promise.all([0, 1, 2].map(() => v2({ method: 'POST', path: '/v2/models/m/infer', headers: {}, body: body(2, 'a') })));
  for (const r of replies) assert.equal(r.status, 200, r.body.toString());
  assert.ok(rows.every((n) => n <= 4), JSON.stringify(rows));
  assert.equal(rows.reduce((a, b) => a + b, 0), 6);
});
