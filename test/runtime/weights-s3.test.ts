/**
 * Weights from an object store: function hosts fetch their slice from a local S3-compatible server (s3rver
 * behind the shaping proxy) through the AWS SDK at cold start, report the phases, and answer like the unsplit
 * model. The shaping itself is checked by bytes over elapsed time bounds that an unshaped local transfer misses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, startLocalS3, s3Store, type LocalS3 } from '../../src/runtime/index.js';
import { allclose, openSession, runSession } from '../../src/graph/index.js';
import { partitionModel } from '../../src/partition/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir, writeToyManifest } from './helpers.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const feeds = (D: number) => ({ x: { dtype: 'float32' as const, dims: [1, D], data: Float32Array.from({ length: D }, (_, i) => Math.cos(i) * 0.5) } });

test('cold instances fetch their slices through S3 (one GET per object, every byte), report the phases, and answer like the unsplit model', async () => {
  const dir = tmpDir('s3w');
  process.env.MOPAR_CACHE_DIR = join(dir, 'cache');
  // A wide input (36,000 × 32 floats: 4.4 MB of head weights) so that the head goes through the memory-lean
  // rewrite (model.onnx + model.onnx.data) and both objects are staged and fetched.
  const D = 36_000;
  const { model, dir: parts, manifest } = await writeToyManifest(dir, 'inline', D);
  let store: LocalS3 | undefined;
  const gws: Gateway[] = [];
  try {
    store = await startLocalS3({ latencyMs: 5, bandwidthMBps: 400 });
    const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, enforceLimits: false, weights: { store: store.shaped, stage: store.direct, bucket: store.bucket } });
    gws.push(gw);
    gw.addModel(parts, 'toy');
    const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    assert.equal(store.reads.size, 0, 'staging does not read through the shaped endpoint');
    const got = await infer(base, 'toy', feeds(D));

    const ref = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, enforceLimits: false });
    gws.push(ref);
    ref.addModel(model, 'unsplit');
    const refBase = `http://127.0.0.1:${(await ref.listen(0)).port}`;
    const want = await infer(refBase, 'unsplit', feeds(D));
    const a = Array.from(got.outputs[manifest.outputs[0]!]!.data as Float32Array);
    const b = Array.from(want.outputs[manifest.outputs[0]!]!.data as Float32Array);
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-4 + 1e-4 * Math.abs(b[i]!), `output ${i}: ${v} vs ${b[i]}`));

    // Every function read its objects once, whole; the head (4.6 MB of weights) as ONNX file + external data.
    const keys = [...store.reads.keys()].sort();
    assert.deepEqual(keys.map((k) => k.split('/')[1]).filter((f, i, xs) => xs.indexOf(f) === i).sort(), manifest.functions.map((f) => f.name).sort());
    assert.ok(keys.includes('toy/head/model.onnx.data'), `the head's external data was fetched (keys: ${keys.join(', ')})`);
    for (const [k, r] of store.reads) assert.equal(r.requests, 1, `${k} fetched once`);
    const stats = await (await fetch(`${base}/v2/models/toy/stats`)).json() as { functions: Array<{ name: string; coldStarts: number; fetchMs: number[]; spawnMs: number[]; loadMs: number[]; coldStartMs: number[]; fetchedBytes: number }> };
    for (const f of stats.functions) {
      const read: number = [...store.reads].filter(([k]) => k.startsWith(`toy/${f.name}/`)).reduce((s, [, r]) => s + r.bytes, 0);
      assert.equal(f.coldStarts, 1);
      assert.equal(f.fetchedBytes, read, `${f.name}: the bytes its instance fetched are the bytes the store served`);
      assert.ok(f.fetchMs[0]! > 0 && f.loadMs[0]! > 0 && f.spawnMs[0]! > 0);
      assert.ok(Math.abs(f.spawnMs[0]! + f.fetchMs[0]! + f.loadMs[0]! - f.coldStartMs[0]!) < 1, 'the phases add up to the cold start');
    }
    const head = stats.functions.find((f) => f.name === 'head')!;
    assert.ok(head.fetchedBytes > D * 32 * 4, 'the head fetched at least its weights');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /mopar_function_cold_start_seconds_count\{model="toy",function="head",phase="fetch"\} 1/);
    assert.match(metrics, /mopar_function_weights_fetched_bytes_total\{model="toy",function="head"\} \d{7,}/);
    const status = await (await fetch(`${base}/status.json`)).json() as { models: Array<{ groups: Array<{ functions: Array<{ name: string; lastColdStart?: { fetchMs: number } }> }> }> };
    const fns = status.models[0]!.groups.flatMap((g) => g.functions);
    assert.ok(fns.every((f) => f.lastColdStart && f.lastColdStart.fetchMs > 0), 'status shows each function\'s last cold start with its fetch');
  } finally {
    for (const g of gws) await g.close();
    await store?.close();
    delete process.env.MOPAR_CACHE_DIR;
    cleanup(dir);
  }
});

test('the store is shaped: first-byte latency on every request, per-stream bandwidth on every body', async () => {
  const dir = tmpDir('shape');
  const store = await startLocalS3({ latencyMs: 150, bandwidthMBps: 16 });
  try {
    const bytes = new Uint8Array(8 * 2 ** 20).map((_, i) => i % 253);
    await s3Store(store.direct).put(store.bucket, 'big', bytes);
    await s3Store(store.direct).put(store.bucket, 'tiny', Uint8Array.of(7));
    const shaped = s3Store(store.shaped);
    await shaped.get(store.bucket, 'tiny'); // the SDK's own first-call set-up, outside the timings
    let t0 = performance.now();
    await shaped.get(store.bucket, 'tiny');
    assert.ok(performance.now() - t0 >= 145, `one byte took ${(performance.now() - t0).toFixed(0)} ms: the first-byte latency was added`);
    t0 = performance.now();
    const n = await shaped.download(store.bucket, 'big', join(dir, 'big'));
    const s = (performance.now() - t0) / 1000;
    assert.equal(n, bytes.length);
    assert.equal(statSync(join(dir, 'big')).size, bytes.length);
    // 8 MB at 16 MB/s cannot take less than 0.5 s (+ the latency); an unshaped local transfer takes a few ms.
    assert.ok(n / 2 ** 20 / s <= 16 * 1.05, `8 MB arrived at ${(n / 2 ** 20 / s).toFixed(1)} MB/s, above the 16 MB/s per stream`);
    assert.equal(store.reads.get('big')?.bytes, bytes.length);
    assert.equal(store.reads.get('big')?.requests, 1);
  } finally {
    await store.close();
    cleanup(dir);
  }
});

test('slices whose weights the build wrote to their own data files fetch those too (dlrm-criteo tiny through S3)', { timeout: 180_000 }, async () => {
  const dir = tmpDir('s3ext');
  process.env.MOPAR_CACHE_DIR = join(dir, 'cache');
  let store: LocalS3 | undefined;
  let served: Gateway | undefined;
  try {
    const model = join(dir, 'dlrm.onnx');
    writeZooModel('dlrm-criteo', model, { tiny: true });
    const out = join(dir, 'built');
    const { manifest } = await partitionModel(model, {
      profiling: { runs: 1, warmup: 0, cpuScaling: false, measureRss: false },
      plan: { platform: 'aws-lambda', strategy: 'uniform:3', allowSloMiss: true }, outDir: out,
    });
    const withData = manifest!.functions.filter((f) => f.data);
    assert.ok(withData.length >= 1);
    store = await startLocalS3({ latencyMs: 1, bandwidthMBps: 0 });
    served = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, enforceLimits: false, weights: { store: store.shaped, stage: store.direct, bucket: store.bucket } });
    const name = served.addModel(out, 'dlrm');
    const url = `http://127.0.0.1:${(await served.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(url, name), 3);
    const res = await infer(url, name, feeds);
    assert.equal(res.status, 200);
    for (const f of withData) assert.equal(store.reads.get(`dlrm/${f.name}/${f.data!.file}`)?.bytes, f.data!.bytes, `${f.name}'s data file came through S3`);
    const ref = await openSession(model);
    try {
      const c = allclose(res.outputs.probability!, (await runSession(ref, feeds)).probability!);
      assert.ok(c.ok, `served from S3 equals the unsplit model (${c.mismatch ?? c.maxRelErr})`);
    } finally {
      await ref.release();
    }
  } finally {
    await served?.close();
    await store?.close();
    delete process.env.MOPAR_CACHE_DIR;
    cleanup(dir);
  }
});
