/**
 * Issue 17, as a hostile client would try it: bodies refused by their size before they are read, malformed
 * request structure and out-of-range values as 400 (never 500, never a silent wrong answer), NaN/±Inf and
 * INT64 outputs sent exactly, per-invocation timeout, cancellation of work whose client left, graceful drain,
 * header timeouts, no local paths in error bodies.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, httpRequest, infer, modelMetadata, randomFeeds, ownSegments, errorOf } from '../../src/runtime/index.js';
import { withoutPaths } from '../../src/runtime/v2-router.js';
import { requestBodyLimit } from '../../src/runtime/protocol.js';
import { cleanup, tmpDir, writeChunkedManifest, writeSlowModel, writeToyManifest, rehash } from './helpers.js';

const dir = tmpDir('harden');
let gw: Gateway;
let base = '';

/** y = Log(x) (NaN for x < 0, -Inf at 0) and n64 passed through: float and INT64 round trips. */
function writeOddModel(): string {
  const b = new GraphBuilder('odd');
  const x = b.input('x', 'float32', [1, 4]);
  const n = b.input('n', 'int64', [1, 4]);
  const y = b.node('Log', [x], {}, { name: 'log' });
  const m = b.node('Identity', [n], {}, { name: 'id' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, 4]);
  b.output(m, 'int64', [1, 4]);
  const path = join(dir, 'odd.onnx');
  saveModel(b.model(17), path);
  return path;
}

before(async () => {
  const toy = await writeToyManifest(dir, 'shm');
  gw = new Gateway({ ...DEFAULT_GATEWAY, httpTimeouts: { headersMs: 500, checkEveryMs: 100 } });
  gw.addModel(toy.dir, 'toy');
  gw.addModel(writeOddModel(), 'odd');
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

const post = (model: string, body: string | Buffer, headers: Record<string, string | number> = { 'content-type': 'application/json' }) =>
  httpRequest(`${base}/v2/models/${model}/infer`, { method: 'POST', body, headers });
const toyBody = (over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0.5), ...over }], ...top });
const oddBody = (x: unknown[], n: unknown[]) => JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: x }, { name: 'n', datatype: 'INT64', shape: [1, 4], data: n }],
});

/** Sends raw bytes on a fresh connection; resolves with what came back once the server closed it. */
function raw(text: string, keepOpenMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(base);
    const s = connect(Number(port), '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => { got += d.toString(); });
    s.on('close', () => resolve(got));
    s.on('error', (e) => (got ? resolve(got) : reject(e)));
    if (keepOpenMs) setTimeout(() => s.destroy(), keepOpenMs).unref();
  });
}

test('body limit comes from the model\'s inputs; a declared oversized body is refused before it is sent (413)', async () => {
  const limit = gw.bodyLimit(gw.models.get('toy')!);
  assert.equal(limit, requestBodyLimit(gw.models.get('toy')!.inputs));
  assert.ok(limit < 2 * 2 ** 20, `toy's limit ${limit} should be about 1 MB, not the old 256 MB`);
  // 200 MB announced, nothing sent: the answer comes without reading a byte of body.
  const reply = await raw(`POST /v2/models/toy/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${200 * 2 ** 20}\r\n\r\n`);
  assert.match(reply, /^HTTP\/1\.1 413 /);
  assert.match(reply, /exceeds the limit/);
  // The gateway keeps serving.
  assert.equal((await post('toy', toyBody())).status, 200);
});

test('a chunked body is cut off with 413 as soon as it passes the limit, while a health check is answered', async () => {
  const limit = gw.bodyLimit(gw.models.get('toy')!);
  const { port } = new URL(base);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/models/toy/infer', method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      // Far more than the limit would be sent if the server did not stop us.
      while (sent < limit * 20) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
  assert.equal(status, 413);
  assert.equal((await httpRequest(`${base}/v2/health/ready`)).status, 200);
});

test('request structure is checked by the schema: 400 naming the field, never 500', async () => {
  const cases: Array<[string, RegExp]> = [
    [toyBody({}, { outputs: 'abc' }), /invalid inference request: outputs must be an array/],
    [toyBody({}, { outputs: [{ name: 5 }] }), /outputs\[0\]\.name must be a string/],
    [toyBody({ shape: 'x' }), /inputs\[0\]\.shape must be an array/],
    [toyBody({ shape: [1, -16] }), /inputs\[0\]\.shape\[1\] must be >= 0/],
    [toyBody({ data: 'abc' }), /inputs\[0\]\.data must be an array/],
    [toyBody({ parameters: { binary_data_size: 'big' } }), /binary_data_size must be an integer/],
    [toyBody({}, { id: 7 }), /id must be a string/],
    [toyBody({}, { parameters: { nested: { a: 1 } } }), /parameters\.nested must be a string or number or boolean/],
    [JSON.stringify({ inputs: [null] }), /inputs\[0\] must be an object/],
    [toyBody({ datatype: 'constructor' }), /unsupported datatype "constructor"/],
  ];
  for (const [body, re] of cases) {
    const r = await post('toy', body);
    assert.equal(r.status, 400, `${body.slice(0, 120)} → ${r.status} ${r.body}`);
    assert.match(errorOf(r), re);
  }
});

test('data nested 10k deep → 400 (no stack overflow); nesting matching the shape is accepted', async () => {
  const deep = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,16],"data":${'['.repeat(10_000)}1${']'.repeat(10_000)}}]}`;
  const r = await post('toy', deep);
  assert.equal(r.status, 400);
  assert.match(errorOf(r), /request JSON is nested deeper than 18 levels/); // refused before parsing (issue 26)
  const four = await post('toy', `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,16],"data":[[[[1]]]]}]}`);
  assert.equal(four.status, 400);
  assert.match(errorOf(four), /input 'x': 'data' is nested deeper than its shape/);
  const nested = await post('toy', toyBody({ data: [new Array(16).fill(0.5)] }));
  assert.equal(nested.status, 200, nested.body.toString());
  const flat = await post('toy', toyBody());
  assert.deepEqual(JSON.parse(nested.body.toString()).outputs, JSON.parse(flat.body.toString()).outputs);
});

test('bad percent-encoding in the model name → 400', async () => {
  const r = await httpRequest(`${base}/v2/models/%ZZ`);
  assert.equal(r.status, 400);
  assert.match(errorOf(r), /not valid percent-encoding/);
  assert.equal((await httpRequest(`${base}/v2/models/%ZZ/infer`, { method: 'POST', body: toyBody() })).status, 400);
});

test('values that do not fit the datatype → 400 naming the input and the first bad index', async () => {
  const ok = [1, 2, 3, 4];
  const cases: Array<[string, RegExp]> = [
    [oddBody([1, 1e39, 2, 3], ok), /input 'x': value 1e\+39 at index 1 is beyond the range of FP32/],
    [oddBody([1, 2, 3, 'BIG'], ok).replace('"BIG"', '1e400'), /input 'x': value Infinity at index 3 is beyond the range of FP32/],
    [oddBody([1, 2, 'a', 4], ok), /input 'x': value "a" at index 2 is not a number \(FP32\)/],
    [oddBody(ok, [1, 2, 1.5, 4]), /input 'n': value 1\.5 at index 2 is not an integer \(INT64\)/],
    [oddBody(ok, ['99999999999999999999', 2, 3, 4]), /input 'n': value "99999999999999999999" at index 0 does not fit INT64/],
    [oddBody(ok, [1, 1e300, 3, 4]), /input 'n': value 1e\+300 at index 1 is beyond 2\^53 as a JSON number/],
    [oddBody(ok, [1, 2, 3, true]), /input 'n': value true at index 3 is not an integer \(INT64\)/],
  ];
  for (const [body, re] of cases) {
    const r = await post('odd', body);
    assert.equal(r.status, 400, `${body} → ${r.status} ${r.body}`);
    assert.match(errorOf(r), re);
  }
});

test('INT64 extremes round-trip exactly; NaN/±Inf outputs are explicit strings with a non_finite count, never null', async () => {
  const r = await post('odd', oddBody([-1, 0, 1, 'Infinity'], ['9223372036854775807', '-9223372036854775808', 0, 9007199254740991]));
  assert.equal(r.status, 200, r.body.toString());
  const text = r.body.toString();
  assert.ok(!text.includes('null'), text);
  assert.match(text, /"data":\[9223372036854775807,-9223372036854775808,0,9007199254740991\]/);
  const doc = JSON.parse(text);
  const y = doc.outputs.find((o: { datatype: string }) => o.datatype === 'FP32');
  assert.deepEqual(y.data, ['NaN', '-Infinity', 0, 'Infinity']);
  assert.deepEqual(y.parameters, { non_finite: 3 });
  // Finite outputs carry no flag.
  const fine = JSON.parse((await post('odd', oddBody([1, 1, 1, 1], [0, 0, 0, 0]))).body.toString());
  assert.equal(fine.outputs[0].parameters, undefined);
});

test('a connection that never finishes its headers is closed by the header timeout', async () => {
  const reply = await raw('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n', 20_000);
  // Closed by the server (408) long before our own 20 s guard.
  assert.match(reply, /^HTTP\/1\.1 408 /);
});

test('error bodies never carry local paths', () => {
  assert.equal(withoutPaths(`function 's0' could not start: Load model from /tmp/mopar-rt-x/part/s0.onnx failed: bad`), `function 's0' could not start: Load model from s0.onnx failed: bad`);
  assert.equal(withoutPaths(`open '/home/u/m/a.onnx': ENOENT`), `open 'a.onnx': ENOENT`);
  assert.equal(withoutPaths('shape [1,16] but 3 values'), 'shape [1,16] but 3 values');
});

test('a corrupt function file in a cold gateway → 502 naming the function, not the file\'s path', async () => {
  const d = tmpDir('corrupt');
  try {
    const toy = await writeToyManifest(d, 'inline');
    writeFileSync(join(toy.dir, 'left.onnx'), 'this is not onnx');
    rehash(toy.dir, 'left'); // as if built so: past the manifest's sha256 check, onnxruntime must refuse it
    const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, externalData: false });
    g.addModel(toy.dir, 'toy');
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    try {
      const r = await httpRequest(`${b}/v2/models/toy/infer`, { method: 'POST', body: toyBody() });
      assert.equal(r.status, 502, r.body.toString());
      const body = JSON.parse(r.body.toString());
      assert.equal(body.function, 'left');
      assert.match(body.error, /function 'left'/);
      assert.ok(!body.error.includes(d), body.error);
      assert.ok(!/\/[^\s]+\//.test(body.error), body.error);
    } finally {
      await g.close();
    }
  } finally {
    cleanup(d);
  }
});

/** A two-function chain of a slow model: s0 (~most of the time) → s1. */
async function slowChain(tag: string, extra: Partial<typeof DEFAULT_GATEWAY> = {}) {
  const d = tmpDir(tag);
  const slow = writeSlowModel(d, 24);
  const out = join(d, 'part');
  await writeChunkedManifest(slow, out, 2, 'inline');
  const g = new Gateway({ ...DEFAULT_GATEWAY, ...extra, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, ...extra.pool } });
  g.addModel(out, 'slow');
  const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
  const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
  await infer(b, 'slow', feeds); // warm both functions
  return { d, g, b, feeds, close: async () => { await g.close(); cleanup(d); } };
}

/** Starts a request and drops its connection once `when` resolves. */
function abandonedRequest(b: string, body: string): { started: Promise<void>; abort: () => void; done: Promise<void> } {
  const { port } = new URL(b);
  let started!: () => void;
  const startedP = new Promise<void>((r) => { started = r; });
  const req = request({ host: '127.0.0.1', port, path: '/v2/models/slow/infer', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const done = new Promise<void>((r) => { req.on('error', () => r()); req.on('close', () => r()); });
  req.end(body, () => started());
  return { started: startedP, abort: () => req.destroy(), done };
}

const until = async (cond: () => boolean, what: string, ms = 30_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a client that leaves: its queued call is dropped and the next function of its chain never starts', async () => {
  const c = await slowChain('cancel');
  try {
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [512, 512], data: Array.from(c.feeds.x!.data as Float32Array) }] });
    const s0 = c.g.models.get('slow')!.pools.get('s0')!;
    const before = c.g.stats('slow').functions.map((f) => f.invocations);
    // A: stays. B: queued behind A on s0 (one instance), then leaves. C: leaves while s0 runs it.
    // s0's host is stopped while it holds A (and later C), so B queues and C's client leaves mid-call however
    // fast the machine is (without it, A could finish before B's body was even parsed).
    const host = s0.instances[0]!;
    const a = httpRequest(`${c.b}/v2/models/slow/infer`, { method: 'POST', body });
    await until(() => host.active === 1, 'A to reach s0');
    process.kill(host.pid!, 'SIGSTOP');
    const bReq = abandonedRequest(c.b, body);
    await bReq.started;
    await until(() => (s0 as unknown as { queue: unknown[] }).queue.length === 1, 'B to queue on s0');
    bReq.abort();
    await bReq.done;
    await until(() => (s0 as unknown as { queue: unknown[] }).queue.length === 0, 'B to leave the queue');
    process.kill(host.pid!, 'SIGCONT');
    assert.equal((await a).status, 200);
    const cReq = abandonedRequest(c.b, body);
    await cReq.started;
    await until(() => host.active === 1, 'C to reach s0');
    process.kill(host.pid!, 'SIGSTOP');
    cReq.abort();
    await cReq.done;
    await new Promise((r) => setTimeout(r, 200)); // the gateway sees the closed socket
    process.kill(host.pid!, 'SIGCONT');
    await until(() => c.g.stats('slow').abandoned.cancelled === 2, 'C to be cancelled after s0');
    const after = c.g.stats('slow').functions.map((f) => f.invocations);
    // s0 ran A and C (C was already running when its client left); s1 ran only A.
    assert.deepEqual(after.map((n, i) => n - before[i]!), [2, 1]);
    assert.equal(c.g.stats('slow').abandoned.completed, 0);
  } finally {
    await c.close();
  }
});

test('a stopped host: its request times out at the bound (504 naming the function), the instance is replaced', async () => {
  const c = await slowChain('timeout', { invokeTimeoutMs: 1500 });
  try {
    const victim = c.g.models.get('slow')!.pools.get('s0')!.instances[0]!;
    process.kill(victim.pid!, 'SIGSTOP');
    const r = await httpRequest(`${c.b}/v2/models/slow/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [512, 512], data: Array.from(c.feeds.x!.data as Float32Array) }] }) });
    assert.equal(r.status, 504, r.body.toString());
    const body = JSON.parse(r.body.toString());
    assert.equal(body.function, 's0');
    assert.equal(body.reason, 'timeout');
    assert.match(body.error, /function 's0' timed out after 1500 ms/);
    await until(() => victim.dead, 'the stopped instance to be killed');
    assert.equal((await infer(c.b, 'slow', c.feeds)).status, 200);
  } finally {
    await c.close();
  }
});

test('shutdown drains: the request in flight is answered, new ones are refused, nothing is left', async () => {
  const c = await slowChain('drain');
  let closed = false;
  try {
    const pids = [...c.g.models.get('slow')!.pools.values()].flatMap((p) => p.instances.map((i) => i.pid!));
    const s0 = c.g.models.get('slow')!.pools.get('s0')!;
    const inflight = infer(c.b, 'slow', c.feeds);
    await until(() => s0.instances[0]!.active === 1, 'the request to reach s0');
    const stopped = c.g.shutdown(30_000);
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.deepEqual(await stopped, { drained: 1, cut: 0 });
    closed = true;
    await assert.rejects(httpRequest(`${c.b}/v2/health/live`), /cannot reach/);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'host process still alive');
    // The file's other gateway (still serving) keeps spare segments for its next requests; nothing else is left.
    const spare = new Set([...gw.models.values()].flatMap((m) => m.spares.paths()));
    assert.deepEqual(ownSegments().filter((p) => !spare.has(p)), []);
  } finally {
    if (!closed) await c.g.close();
    cleanup(c.d);
  }
});
