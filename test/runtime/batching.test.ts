import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allclose } from '../../src/graph/compare.js';
import { openSession, runSession, type Feeds } from '../../src/graph/runner.js';
import {
  Batcher, DEFAULT_GATEWAY, Gateway, binaryInferRequest, concatFeeds, executionMs, httpRequest, modelMetadata, parseInferResponse,
  randomFeeds, splitFeeds, type InferResult,
} from '../../src/runtime/index.js';
import { fromV2Datatype } from '../../src/runtime/protocol.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

let dir = '';
let model = '';
let gw: Gateway;
let base = '';

before(async () => {
  dir = tmpDir('batching');
  model = join(dir, 'mobilenetv2.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  gw = new Gateway({ ...DEFAULT_GATEWAY });
  const name = gw.addModel(model, 'm');
  // Light load, loose SLOs: batches form by filling (4 concurrent requests per app), never by a deadline.
  gw.enableBatching(name, { groups: [
    { apps: [{ name: 'search', sloMs: 20_000 }], maxBatch: 4, timeoutMs: 2_000 },
    { apps: [{ name: 'tagging', sloMs: 30_000 }, { name: 'thumbs', sloMs: 30_000 }], maxBatch: 4, timeoutMs: 2_000 },
  ] });
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});
after(async () => { await gw?.close(); cleanup(dir); });

function parseReply(r: { headers: Record<string, unknown>; body: Buffer }): Feeds {
  const h = r.headers['inference-header-content-length'];
  const raw = parseInferResponse(r.body, h === undefined ? undefined : Number(h));
  const out: Feeds = {};
  for (const o of raw.outputs) out[o.name] = { dtype: fromV2Datatype(o.datatype)!, dims: o.shape, data: o.data as Feeds[string]['data'] };
  return out;
}

/** One request of `app`: binary with the x-mopar-app header, or JSON with parameters.app. */
async function send(app: string | undefined, feeds: Feeds, json: boolean) {
  const url = `${base}/v2/models/m/infer`;
  if (json) {
    const body = JSON.stringify({
      inputs: Object.entries(feeds).map(([name, t]) => ({ name, shape: t.dims, datatype: 'FP32', data: Array.from(t.data as Float32Array) })),
      ...(app ? { parameters: { app } } : {}),
    });
    return httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }
  const { body, headers } = binaryInferRequest(feeds);
  return httpRequest(url, { method: 'POST', headers: { ...headers, ...(app ? { 'x-mopar-app': app } : {}) }, body });
}

test('gateway batching: concurrent requests of two groups form batches; each answer equals the unsplit model\'s', async () => {
  const meta = await modelMetadata(base, 'm');
  const apps = ['search', 'search', 'search', 'search', 'tagging', 'thumbs', 'tagging', 'thumbs'];
  const inputs = apps.map((_, i) => randomFeeds(meta, 100 + i));
  const replies = await Promise.all(apps.map((app, i) => send(app, inputs[i]!, i % 2 === 1)));
  const session = await openSession(model, { threads: 1 });
  try {
    for (let i = 0; i < apps.length; i++) {
      const r = replies[i]!;
      assert.equal(r.status, 200, r.body.toString().slice(0, 300));
      const got = parseReply(r);
      const want = await runSession(session, inputs[i]!);
      for (const name of Object.keys(want)) {
        const c = allclose(got[name], want[name]);
        assert.ok(c.ok, `${apps[i]} request ${i}, output ${name}: ${c.mismatch ?? `max abs err ${c.maxAbsErr}`}`);
      }
    }
  } finally {
    await session.release();
  }
  const sizes = replies.map((r) => Number(r.headers['x-mopar-batch-size']));
  assert.ok(sizes.every((s) => s >= 1 && s <= 4), String(sizes));
  // Batches formed: fewer batches than requests in each group (a batch of b answers b requests).
  const metrics = (await httpRequest(`${base}/metrics`)).body.toString();
  const count = (group: string) => Number(new RegExp(`mopar_batch_size_count\\{model="m",group="${group.replace('+', '\\+')}"\\} (\\d+)`).exec(metrics)?.[1]);
  assert.ok(count('search') >= 1 && count('search') < 4, `search: ${count('search')} batches for 4 requests\n${metrics}`);
  assert.ok(count('tagging+thumbs') >= 1 && count('tagging+thumbs') < 4, `tagging+thumbs: ${count('tagging+thumbs')} batches`);
  // One invocation of the function per batch, not per request.
  const stats = JSON.parse((await httpRequest(`${base}/v2/models/m/stats`)).body.toString());
  assert.equal(stats.functions[0].invocations, count('search') + count('tagging+thumbs'));
  // Per-application latency histograms; no SLO missed at this light load.
  for (const app of ['search', 'tagging', 'thumbs']) assert.match(metrics, new RegExp(`mopar_app_request_duration_seconds_count\\{model="m",app="${app}"\\} \\d+`));
  assert.doesNotMatch(metrics, /mopar_app_slo_misses_total\{[^}]*\} [1-9]/);
});

test('gateway batching: unknown application is a 400; no application runs alone as before', async () => {
  const feeds = randomFeeds(await modelMetadata(base, 'm'), 7);
  const bad = await send('nobody', feeds, true);
  assert.equal(bad.status, 400);
  const err = JSON.parse(bad.body.toString());
  assert.match(err.error, /unknown application 'nobody' for model 'm' \(known: search, tagging, thumbs\)/);
  const plain = await send(undefined, feeds, false);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['x-mopar-batch-size'], undefined);
});

test('gateway batching: a model with a fixed batch dim cannot be batched (clear error)', async () => {
  const fixed = join(dir, 'fixed.onnx');
  writeZooModel('mobilenetv2', fixed, { tiny: true });
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const n = g.addModel(fixed, 'f');
    assert.throws(() => g.enableBatching(n, { groups: [{ apps: [{ name: 'a', sloMs: 100 }], maxBatch: 2, timeoutMs: 10 }] }), /fixed leading dim/);
  } finally {
    await g.close();
  }
});

/** A stand-in model: doubles x; takes `ms` per batch. */
function fakeRun(ms: number, calls: number[]) {
  return async (feeds: Feeds): Promise<InferResult> => {
    calls.push(feeds.x!.dims[0]!);
    await new Promise((r) => setTimeout(r, ms));
    const x = feeds.x!.data as Float32Array;
    return { outputs: { y: { dtype: 'float32', dims: [...feeds.x!.dims], data: x.map((v) => v * 2) } }, calls: [], edges: [], ms };
  };
}
const one = (v: number): Feeds => ({ x: { dtype: 'float32', dims: [1, 2], data: Float32Array.from([v, v + 0.5]) } });

test('batcher: dispatches when full; splits outputs back per request in order', async () => {
  const calls: number[] = [];
  const b = new Batcher({ groups: [{ apps: [{ name: 'a', sloMs: 60_000 }], maxBatch: 3, timeoutMs: 60_000 }] }, fakeRun(1, calls));
  const replies = await Promise.all([1, 2, 3].map((v) => b.submit('a', one(v))));
  assert.deepEqual(calls, [3]);
  replies.forEach((r, i) => {
    assert.equal(r.batchSize, 3);
    assert.deepEqual(Array.from(r.outputs.y!.data as Float32Array), [2 * (i + 1), 2 * (i + 1) + 1]);
    assert.deepEqual(r.outputs.y!.dims, [1, 2]);
  });
  await assert.rejects(b.submit('zzz', one(1)), /unknown application 'zzz'/);
  b.close();
});

test('batcher: deadline-aware — a lone request leaves well before a long timeout when its SLO needs it', async () => {
  const calls: number[] = [];
  // Timeout one minute; SLO 400 ms; each batch takes 50 ms. The first batch fills and teaches the estimate.
  const b = new Batcher({ groups: [{ apps: [{ name: 'a', sloMs: 400 }], maxBatch: 2, timeoutMs: 60_000 }] }, fakeRun(50, calls));
  await Promise.all([b.submit('a', one(1)), b.submit('a', one(2))]);
  const t0 = performance.now();
  const r = await b.submit('a', one(3));
  const waited = performance.now() - t0;
  assert.equal(r.batchSize, 1);
  // Dispatched by the deadline rule (~400 − 1.2 × 2 × 50 ms), not the one-minute timeout.
  assert.ok(waited < 30_000, `waited ${waited} ms`);
  assert.deepEqual(calls, [2, 1]);
  b.close();
});

test('batcher: a batch\'s execution estimate leaves out its calls\' waits for instances (queue, cold start)', () => {
  const call = (ms: number, waitMs: number) => ({ ms, waitMs }) as InferResult['calls'][number];
  // A chain of two: 900 ms waiting for a cold start, then 40 + 30 ms of work; 1,000 ms on the clock.
  assert.equal(executionMs({ calls: [call(940, 900), call(30, 0)] }, 1000), 100);
  // Parallel sub-slices that both waited: the sum of waits would leave less than the longest run; floored there.
  assert.equal(executionMs({ calls: [call(500, 450), call(480, 450)] }, 520), 50);
  assert.equal(executionMs({ calls: [call(60, 0)] }, 65), 65);
});

test('batcher: concat and split along the batch dim', () => {
  const a: Feeds = { x: { dtype: 'int64', dims: [1, 2], data: BigInt64Array.from([1n, 2n]) } };
  const c: Feeds = { x: { dtype: 'int64', dims: [2, 2], data: BigInt64Array.from([3n, 4n, 5n, 6n]) } };
  const joined = concatFeeds([a, c]);
  assert.deepEqual(joined.x!.dims, [3, 2]);
  assert.deepEqual(Array.from(joined.x!.data as BigInt64Array), [1n, 2n, 3n, 4n, 5n, 6n]);
  const back = splitFeeds(joined, [1, 2]);
  assert.deepEqual(back.map((f) => f.x!.dims), [[1, 2], [2, 2]]);
  assert.deepEqual(Array.from(back[1]!.x!.data as BigInt64Array), [3n, 4n, 5n, 6n]);
  assert.throws(() => splitFeeds({ y: { dtype: 'float32', dims: [1], data: new Float32Array(1) } }, [1, 2]), /does not batch along dim 0/);
});
