/** The shared object store (runtime/object-store.ts) against a real S3-compatible server: put, get, streamed download. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { s3Store, memoryStore, ensureBucket, s3OptionsFromEnv, startLocalS3 } from '../../src/runtime/index.js';
import { cleanup, tmpDir } from './helpers.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

test('s3Store puts, uploads a file, gets and streams an object to a file through an S3-compatible endpoint (path style)', async () => {
  const dir = tmpDir('s3');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 'store') });
  const { port } = await server.run();
  try {
    const opts = { endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    await ensureBucket(opts, 'mopar-weights');
    await ensureBucket(opts, 'mopar-weights'); // idempotent
    const store = s3Store(opts);
    const bytes = Uint8Array.from({ length: 3 * 2 ** 20 + 17 }, (_, i) => (i * 31) % 251);
    await store.put('mopar-weights', 'm/f0.onnx', bytes);
    assert.deepEqual(await store.get('mopar-weights', 'm/f0.onnx'), bytes);
    const out = join(dir, 'f0.onnx');
    assert.equal(await store.download('mopar-weights', 'm/f0.onnx', out), bytes.length);
    assert.deepEqual(new Uint8Array(readFileSync(out)), bytes);
    // A streamed upload (from a file) reads back byte for byte.
    assert.equal(await store.upload('mopar-weights', 'm/f1.onnx', out), bytes.length);
    assert.deepEqual(await store.get('mopar-weights', 'm/f1.onnx'), bytes);
    await assert.rejects(store.download('mopar-weights', 'm/missing.onnx', join(dir, 'missing.onnx')));
    assert.ok(!existsSync(join(dir, 'missing.onnx')), 'no file for a failed download');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.part-')), [], 'no partial file left behind');
  } finally {
    await server.close();
    cleanup(dir);
  }
});

test('memoryStore downloads to a file too; s3OptionsFromEnv reads an endpoint as path style', async () => {
  const dir = tmpDir('mem');
  try {
    const store = memoryStore();
    await store.put('b', 'k', Uint8Array.of(1, 2, 3));
    assert.equal(await store.download('b', 'k', join(dir, 'k')), 3);
    assert.deepEqual([...readFileSync(join(dir, 'k'))], [1, 2, 3]);
    await assert.rejects(store.get('b', 'nope'), /no object s3:\/\/b\/nope/);
  } finally {
    cleanup(dir);
  }
  assert.deepEqual(s3OptionsFromEnv({ MOPAR_S3_ENDPOINT: 'http://127.0.0.1:9000', MOPAR_S3_REGION: 'eu-west-1' }),
    { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, region: 'eu-west-1' });
  assert.deepEqual(s3OptionsFromEnv({}), {});
});

test('the local S3 shaping proxy leaves no listener behind while a slow reader drains a large object', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const s3 = await startLocalS3({ latencyMs: 0, bandwidthMBps: 0 });
  try {
    const bytes = Uint8Array.from({ length: 24 * 2 ** 20 }, (_, i) => (i * 7) % 253);
    await s3Store(s3.direct).put(s3.bucket, 'big.onnx', bytes);
    // A reader slower than the proxy: its writes wait for many drains on one response.
    const res = await fetch(`${s3.shaped.endpoint}/${s3.bucket}/big.onnx`);
    let got = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      got += chunk.length;
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(got, bytes.length);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  } finally {
    process.off('warning', onWarning);
    await s3.close();
  }
});
