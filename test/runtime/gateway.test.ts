/** End-to-end through the gateway: partitioned = unsplit for every transport; protocol (JSON + binary); metrics. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, httpRequest, ownSegments, type Transport } from '../../src/runtime/index.js';
import { cleanup, tmpDir, weights, writeToyManifest, writeWideOutputModel } from './helpers.js';

const dir = tmpDir('gw');
/** Segments left while gateways serve, less their models' spares (kept for the next request): a leak. */
const leftover = (...gs: Gateway[]) => { const spare = new Set(gs.flatMap((g) => [...g.models.values()].flatMap((m) => m.spares.paths()))); return ownSegments().filter((p) => !spare.has(p)); };
let gw: Gateway;
let base = '';

before(async () => {
  const shm = await writeToyManifest(`${dir}`, (t) => (t === 'x' ? 'inline' : t.includes('relu') ? 'shm' : 'compressed'));
  gw = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 60_000 } });
  gw.addModel(shm.dir, 'toy-part');
  gw.addModel(shm.model, 'toy');
  const addr = await gw.listen(0);
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1e-6, Math.abs(b[i]!)));
  return m;
}

test('health, server and model metadata', async () => {
  assert.equal((await httpRequest(`${base}/v2/health/live`)).status, 200);
  assert.equal((await httpRequest(`${base}/v2/health/ready`)).status, 200);
  const meta = await modelMetadata(base, 'toy-part');
  assert.deepEqual(meta.inputs, [{ name: 'x', datatype: 'FP32', shape: [1, 16] }]);
  assert.equal(meta.outputs.length, 1);
  assert.deepEqual(meta.outputs[0]!.shape, [1, 8]);
});

test('partitioned model (shm + compressed hand-offs, parallel group) equals the unsplit one', async () => {
  const meta = await modelMetadata(base, 'toy');
  for (let seed = 1; seed <= 5; seed++) {
    const feeds = randomFeeds(meta, seed);
    const a = await infer(base, 'toy-part', feeds);
    const b = await infer(base, 'toy', feeds);
    const out = meta.outputs[0]!.name;
    const err = maxRelErr(a.outputs[out]!.data as Float32Array, b.outputs[out]!.data as Float32Array);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  }
  assert.deepEqual(leftover(gw), [], 'shared-memory segments left after the requests');
  assert.ok(ownSegments().length <= 8, 'spare segments are bounded');
  const stats = gw.stats('toy-part');
  assert.equal(stats.functions.length, 4);
  for (const f of stats.functions) {
    assert.equal(f.invocations, 5, f.name);
    assert.ok(f.gbSeconds > 0 && f.peakRssMB > 0, f.name);
  }
  const transports = new Set(stats.edges.map((e) => e.transport));
  assert.ok(transports.has('shm') && transports.has('compressed'), JSON.stringify(stats.edges));
});

test('a big model output comes back through /dev/shm, a small one inline; same numbers, no segment left', async () => {
  const d = tmpDir('wide');
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const n = 32_768; // 128 KiB of float32: over the 64 KiB threshold
    g.addModel(writeWideOutputModel(d, n), 'wide');
    g.addModel(writeWideOutputModel(d, 8), 'narrow');
    await g.listen(0);
    const x = Float32Array.of(0.5, -1, 2, 0.25);
    for (const [name, size] of [['wide', n], ['narrow', 8]] as const) {
      const r = await g.models.get(name)!.infer({ x: { dtype: 'float32', dims: [1, 4], data: x } });
      const y = r.outputs.y ?? Object.values(r.outputs)[0]!;
      assert.deepEqual(y.dims, [1, size]);
      // The same product computed here from the weights the helper wrote (seed 5).
      const wv = weights(4 * size, 5);
      const data = y.data as Float32Array;
      for (const j of [0, 1, size - 1]) {
        const want = x.reduce((acc, xi, i) => acc + xi * wv[i * size + j]!, 0);
        assert.ok(Math.abs(data[j]! - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${name}[${j}] ${data[j]} vs ${want}`);
      }
      const enc = Object.values(r.calls[0]!.stats.encode)[0]!;
      assert.equal(enc.rawBytes, size * 4);
      // wireBytes 0: the bytes went through a segment, not the IPC channel.
      assert.equal(enc.wireBytes, name === 'wide' ? 0 : size * 4, name);
    }
    assert.deepEqual(leftover(g, gw), [], 'shared-memory segments left after the requests');
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('JSON tensors in, JSON out, same numbers as binary', async () => {
  const meta = await modelMetadata(base, 'toy');
  const feeds = randomFeeds(meta, 7);
  const bin = await infer(base, 'toy', feeds);
  const x = feeds.x!;
  const body = JSON.stringify({ id: 'r1', inputs: [{ name: 'x', datatype: 'FP32', shape: x.dims, data: Array.from(x.data as Float32Array) }] });
  const r = await httpRequest(`${base}/v2/models/toy-part/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 200, r.body.toString());
  const json = JSON.parse(r.body.toString());
  assert.equal(json.id, 'r1');
  assert.equal(json.outputs[0].datatype, 'FP32');
  assert.ok(maxRelErr(json.outputs[0].data, bin.outputs[meta.outputs[0]!.name]!.data as Float32Array) <= 1e-4);
});

test('Prometheus metrics expose invocations, durations, cold starts and GB-s', async () => {
  const r = await httpRequest(`${base}/metrics`);
  assert.equal(r.status, 200);
  const text = r.body.toString();
  for (const m of ['mopar_requests_total', 'mopar_function_invocations_total', 'mopar_function_duration_seconds_bucket',
    'mopar_function_cold_starts_total', 'mopar_function_billed_gb_seconds_total', 'mopar_edge_bytes_total']) {
    assert.match(text, new RegExp(`^${m}\\{`, 'm'), m);
  }
  assert.match(text, /mopar_function_invocations_total\{model="toy-part",function="left"\} [1-9]/);
});

for (const transport of ['inline', 'compressed', 'shm'] as Transport[]) {
  test(`every edge as ${transport}: same result`, async () => {
    const d = tmpDir(`t-${transport}`);
    const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
    try {
      const toy = await writeToyManifest(d, transport, 64);
      g.addModel(toy.dir, 'p');
      g.addModel(toy.model, 'u');
      const addr = await g.listen(0);
      const b = `http://127.0.0.1:${addr.port}`;
      const feeds = randomFeeds(await modelMetadata(b, 'u'), 3);
      const [p, u] = await Promise.all([infer(b, 'p', feeds), infer(b, 'u', feeds)]);
      const out = Object.keys(u.outputs)[0]!;
      assert.ok(maxRelErr(p.outputs[out]!.data as Float32Array, u.outputs[out]!.data as Float32Array) <= 1e-4);
      assert.ok(g.stats('p').edges.every((e) => e.transport === transport || e.tensor === 'x'));
    } finally {
      await g.close();
      cleanup(d);
    }
    assert.deepEqual(leftover(gw), []);
  });
}

test('lossy fp16 hand-offs (opt-in): close to the unsplit output, error reported per edge', async () => {
  const d = tmpDir('lossy');
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, lossy: 'fp16' });
  try {
    const toy = await writeToyManifest(d, (t) => (t === 'x' ? 'inline' : 'compressed'));
    g.addModel(toy.dir, 'p');
    g.addModel(toy.model, 'u');
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'u'), 5);
    const [p, u] = await Promise.all([infer(b, 'p', feeds), infer(b, 'u', feeds)]);
    const out = Object.keys(u.outputs)[0]!;
    const err = maxRelErr(p.outputs[out]!.data as Float32Array, u.outputs[out]!.data as Float32Array);
    assert.ok(err > 0 && err < 1e-2, `fp16 relative error ${err}`);
    const lossyEdges = g.stats('p').edges.filter((e) => 'lossy' in e);
    assert.ok(lossyEdges.length >= 3, JSON.stringify(g.stats('p').edges));
    for (const e of lossyEdges) assert.ok((e as { maxAbsErr: number }).maxAbsErr > 0);
  } finally {
    await g.close();
    cleanup(d);
  }
});
