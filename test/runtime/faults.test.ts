/** Every error path of the gateway, crash recovery, out-of-memory reporting, saturation, and clean shutdown. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Gateway, DEFAULT_GATEWAY, binaryInferRequest, httpRequest, infer, modelMetadata, randomFeeds, ownSegments, errorOf } from '../../src/runtime/index.js';
import { cgroupsAvailable } from '../../src/core/cgroup.js';
import { cleanup, tmpDir, writeManifest, writeSlowModel, writeToyManifest, rehash } from './helpers.js';

const dir = tmpDir('faults');
let gw: Gateway;
/** This process's segments less the spares the file's open gateway keeps for its next requests: a leak. */
const leftover = () => { const spare = new Set([...gw.models.values()].flatMap((m) => m.spares.paths())); return ownSegments().filter((p) => !spare.has(p)); };
let base = '';
let slowPath = '';

before(async () => {
  const toy = await writeToyManifest(dir, 'shm');
  slowPath = writeSlowModel(dir);
  gw = new Gateway({ ...DEFAULT_GATEWAY, maxBodyBytes: 2 * 2 ** 20 });
  gw.addModel(toy.dir, 'toy');
  gw.addModel(slowPath, 'slow');
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

const post = (model: string, body: string | Buffer, headers: Record<string, string | number> = { 'content-type': 'application/json' }) =>
  httpRequest(`${base}/v2/models/${model}/infer`, { method: 'POST', body, headers });
const x = (over: Record<string, unknown> = {}) => JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0.5), ...over }] });

test('unknown model and unknown route → 404', async () => {
  const r = await post('nope', x());
  assert.equal(r.status, 404);
  assert.match(errorOf(r), /unknown model 'nope'/);
  assert.equal((await httpRequest(`${base}/v3/whatever`)).status, 404);
});

test('bad tensors → 400 naming the tensor and what is wrong', async () => {
  const cases: Array<[string, RegExp]> = [
    [x({ name: 'y' }), /unknown input 'y'/],
    [x({ shape: [1, 15], data: new Array(15).fill(0) }), /input 'x': shape \[1,15\] but the model expects \[1,16\]/],
    [x({ datatype: 'FP64' }), /input 'x': datatype FP64 but the model expects FP32/],
    [x({ datatype: 'NOPE' }), /input 'x': unsupported datatype/],
    [x({ data: [1, 2, 3] }), /input 'x': 3 values do not fill shape \[1,16\]/],
    [x({ data: new Array(16).fill('a') }), /input 'x': value "a" at index 0 is not a number \(FP32\)/],
    [JSON.stringify({ inputs: [] }), /missing input 'x'/],
    ['{"inputs": [', /malformed JSON/],
    ['[1,2]', /must be an object with an 'inputs' array/],
  ];
  for (const [body, re] of cases) {
    const r = await post('toy', body);
    assert.equal(r.status, 400, body);
    assert.match(errorOf(r), re);
  }
  // Binary extension: a size that runs past the body.
  const feeds = randomFeeds(await modelMetadata(base, 'toy'), 1);
  const req = binaryInferRequest(feeds);
  const short = req.body.subarray(0, req.body.length - 8);
  const r = await post('toy', short, { ...req.headers, 'content-length': short.length });
  assert.equal(r.status, 400);
  assert.match(errorOf(r), /input 'x': binary_data_size 64 runs past the end/);
});

test('oversized body → 413, and the gateway keeps serving', async () => {
  const big = Buffer.alloc(4 * 2 ** 20, 32);
  const r = await post('toy', big);
  assert.equal(r.status, 413);
  assert.match(errorOf(r), /exceeds the limit/);
  const ok = await post('toy', x());
  assert.equal(ok.status, 200);
});

test('a function killed mid-request → 502 naming it; the instance is replaced and the next request succeeds', async () => {
  const feeds = randomFeeds(await modelMetadata(base, 'slow'), 1);
  await infer(base, 'slow', feeds); // warm
  const pool = gw.models.get('slow')!.pools.get('slow')!;
  const victim = pool.instances[0]!;
  const pending = infer(base, 'slow', feeds).then(() => undefined, (e: Error) => e);
  // Kill while the request is in the host (it runs for a while).
  while (victim.active === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 30));
  process.kill(victim.pid!, 'SIGKILL');
  const err = await pending;
  assert.ok(err instanceof Error, 'the request should fail');
  assert.match(err.message, /HTTP 502: function 'slow' instance \d+ was killed by SIGKILL/);
  const again = await infer(base, 'slow', feeds);
  assert.equal(again.status, 200);
  assert.ok(!pool.instances.includes(victim));
  assert.equal(gw.stats('slow').functions[0]!.crashes, 1);
});

test('an idle instance that died is replaced on the next request', async () => {
  const pool = gw.models.get('toy')!.pools.get('tail')!;
  const inst = pool.instances[0]!;
  const gone = new Promise((r) => inst.proc.once('exit', r));
  process.kill(inst.pid!, 'SIGKILL');
  await gone;
  assert.equal((await post('toy', x())).status, 200);
  // Only the models' spare segments (kept for the next request) are left, never one of the killed call's.
  assert.deepEqual(leftover(), []);
});

test('saturated: 429 when the queue is full, 503 when the queue wait times out', async () => {
  const d = tmpDir('sat');
  const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, queueMax: 1, queueTimeoutMs: 50 } });
  try {
    g.addModel(slowPath, 'slow');
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
    const pool = [...g.models.get('slow')!.pools.values()][0]!;
    const inst = pool.instances[0]!;
    assert.ok(await inst.started());
    const until = async (cond: () => boolean, what: string) => {
      for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting for ${what}`);
    };
    const call = () => infer(b, 'slow', feeds).then(() => 'ok', (e: Error) => e.message.slice(0, 8));
    // The instance is held (SIGSTOP), so A cannot finish whatever the machine's speed: B's wait must time out.
    process.kill(inst.pid!, 'SIGSTOP');
    try {
      const a = call();
      await until(() => inst.active === 1, 'A to reach the instance');
      const bReply = call();
      await until(() => pool.queueDepth === 1, 'B to queue');
      assert.equal(await call(), 'HTTP 429', 'C finds the queue full');
      assert.equal(await bReply, 'HTTP 503', 'B waited longer than the queue timeout');
      process.kill(inst.pid!, 'SIGCONT');
      assert.equal(await a, 'ok');
    } finally {
      process.kill(inst.pid!, 'SIGCONT');
    }
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('a function killed by its memory limit is reported as out of memory', { skip: !(cgroupsAvailable().memory && cgroupsAvailable().cpu) && 'cgroups v1 not writable here' }, async () => {
  const d = tmpDir('oom');
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const toy = await writeToyManifest(d, 'inline');
    // 10 MB cannot even hold Node + onnxruntime: the kernel kills the host.
    await writeManifest(toy.model, `${d}/tight`, [{ name: 'all', nodes: ['mm1', 'relu', 'mma', 'mmb', 'add', 'out'] }], 'inline', { memoryMB: 10 });
    g.addModel(`${d}/tight`, 'tight');
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const r = await httpRequest(`${b}/v2/models/tight/infer`, { method: 'POST', body: x(), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 502);
    const body = JSON.parse(r.body.toString());
    assert.equal(body.function, 'all');
    assert.equal(body.reason, 'out of memory');
    assert.match(body.error, /ran out of memory \(limit 10 MB\)/);
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('close() stops every instance process and leaves no segments', async () => {
  const d = tmpDir('close');
  const g = new Gateway({ ...DEFAULT_GATEWAY });
  const toy = await writeToyManifest(d, 'shm');
  g.addModel(toy.dir, 'toy');
  const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
  await infer(b, 'toy', randomFeeds(await modelMetadata(b, 'toy'), 2));
  const pids = [...g.models.get('toy')!.pools.values()].flatMap((p) => p.instances.map((i) => i.pid!));
  assert.equal(pids.length, 4);
  await g.close();
  cleanup(d);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `host ${pid} still running`);
  assert.deepEqual(leftover(), []);
});

test('closing one gateway leaves the segments of another gateway in the same process alone', async () => {
  const d = tmpDir('two-gw');
  const a = new Gateway({ ...DEFAULT_GATEWAY });
  const other = new Gateway({ ...DEFAULT_GATEWAY });
  try {
    // 512×512 floats (1 MiB): the request's input reaches the function through a /dev/shm segment.
    a.addModel(writeSlowModel(d, 2), 'slow');
    const b = `http://127.0.0.1:${(await a.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
    assert.equal((await infer(b, 'slow', feeds)).status, 200);
    const host = [...a.models.get('slow')!.pools.values()][0]!.instances[0]!;
    // Held before the request arrives: it cannot read its input segment until released.
    process.kill(host.pid!, 'SIGSTOP');
    const pending = infer(b, 'slow', feeds);
    const t0 = Date.now();
    while (host.active === 0) {
      if (Date.now() - t0 > 30_000) throw new Error('the request never reached the instance');
      await new Promise((r) => setTimeout(r, 10));
    }
    other.addModel((await writeToyManifest(d)).dir, 'toy');
    await other.listen(0);
    await other.close();
    process.kill(host.pid!, 'SIGCONT');
    assert.equal((await pending).status, 200);
  } finally {
    await other.close();
    await a.close();
    cleanup(d);
  }
  assert.deepEqual(leftover(), []);
});

test('keep-warm: an idle instance is stopped after the keep-warm time; the next request cold-starts a new one', async () => {
  const d = tmpDir('warm');
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 150 } });
  try {
    const toy = await writeToyManifest(d, 'inline');
    g.addModel(toy.dir, 'toy');
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'toy'), 1);
    await infer(b, 'toy', feeds);
    // A request entering the chain warmed every function of it: one cold start each.
    assert.deepEqual(g.stats('toy').functions.map((f) => f.coldStarts), [1, 1, 1, 1]);
    const pools = [...g.models.get('toy')!.pools.values()];
    for (let i = 0; i < 100 && pools.some((p) => p.instances.length > 0); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pools.every((p) => p.instances.length === 0), 'idle instances should have been stopped');
    await infer(b, 'toy', feeds);
    assert.deepEqual(g.stats('toy').functions.map((f) => f.coldStarts), [2, 2, 2, 2]);
    assert.ok(g.stats('toy').functions.every((f) => f.crashes === 0), 'a keep-warm stop is not a crash');
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('a function file onnxruntime cannot load: serving fails with one clear message naming the function', async () => {
  const d = tmpDir('corrupt');
  const g = new Gateway({ ...DEFAULT_GATEWAY });
  try {
    const toy = await writeToyManifest(d, 'inline');
    writeFileSync(`${toy.dir}/left.onnx`, 'not an onnx model');
    rehash(toy.dir, 'left'); // as if built so: past the manifest's sha256 check, onnxruntime must refuse it
    g.addModel(toy.dir, 'toy');
    await assert.rejects(g.listen(0), /model 'toy': function 'left' could not start: onnxruntime could not load the model/);
  } finally {
    await g.close();
    cleanup(d);
  }
});
