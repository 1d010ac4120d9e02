/**
 * Issue 26 item 7: admission control of the default (`--queue auto`) queue. The queue holds as many calls as the
 * function's measured throughput serves within the queue timeout; past that a request is refused with 503 and a
 * Retry-After of the time the queue takes to drain (not a 429 storm); a fixed --queue keeps its 429; a request
 * whose deadline the calls queued ahead of it already rule out is shed at once. Deterministic: the instance is
 * held with SIGSTOP and the measured invocation time is set, nothing depends on how fast the machine is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Gateway, DEFAULT_GATEWAY, modelMetadata, randomFeeds, type FunctionPool } from '../../src/runtime/index.js';
import { AUTO_QUEUE, autoQueueBound } from '../../src/runtime/admission.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';

/** One POST on its own connection (the shared client agent holds at most 64 sockets: more must queue here). */
function httpPost(url: string, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('autoQueueBound: throughput × queue timeout, between the floor (also before any measurement) and the cap', () => {
  assert.equal(autoQueueBound(undefined, 30_000), AUTO_QUEUE.floor);
  assert.equal(autoQueueBound(0, 30_000), AUTO_QUEUE.floor);
  assert.equal(autoQueueBound(1, 30_000), AUTO_QUEUE.floor); // 30 < floor
  assert.equal(autoQueueBound(10, 30_000), 300);
  assert.equal(autoQueueBound(2.5, 100_000), 250);
  assert.equal(autoQueueBound(1000, 30_000), AUTO_QUEUE.cap);
  assert.ok(AUTO_QUEUE.floor >= 64, 'never refuses earlier than the old fixed default');
});

async function heldGateway(tag: string, queueMax: number | 'auto') {
  const d = tmpDir(tag);
  // A small body: a refusal answered before a large body is read can reach the client as a reset instead.
  const model = writeToyModel(d);
  const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, queueMax, queueTimeoutMs: 100_000 } });
  g.addModel(model, 'm');
  const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
  const feeds = randomFeeds(await modelMetadata(b, 'm'), 1);
  const body = JSON.stringify({ inputs: Object.entries(feeds).map(([name, t]) => ({ name, datatype: 'FP32', shape: t.dims, data: Array.from(t.data as Float32Array) })) });
  const post = (parameters?: Record<string, unknown>) => httpPost(`${b}/v2/models/m/infer`, parameters ? JSON.stringify({ ...JSON.parse(body), parameters }) : body);
  assert.equal((await post()).status, 200); // warm: one instance, one measured call
  const m = g.models.get('m')!;
  const pool: FunctionPool = m.pools.get(m.manifest.functions[0]!.name)!;
  assert.ok(pool.serviceMs !== undefined && pool.serviceMs > 0, 'a warm call was measured');
  const host = pool.instances[0]!;
  // The instance held, then a call handed to it (it cannot answer): everything after queues.
  process.kill(host.pid!, 'SIGSTOP');
  const first = post();
  await until(() => host.active === 1, 'the first call to reach the instance');
  const replies: Array<Promise<unknown>> = [first];
  const queue = async (n: number, parameters?: Record<string, unknown>) => {
    const want = pool.queueDepth + n;
    for (let i = 0; i < n; i++) replies.push(post(parameters));
    await until(() => pool.queueDepth === want, `${want} calls queued`);
  };
  const release = async () => {
    process.kill(host.pid!, 'SIGCONT');
    await Promise.all(replies);
  };
  return { g, pool, post, queue, release, close: async () => { try { process.kill(host.pid!, 'SIGCONT'); } catch { /* gone */ } await g.close(); cleanup(d); } };
}

test('auto queue: full at measured throughput × queue timeout → 503 + Retry-After (time to drain); at the cap or unmeasured → 429', async () => {
  const c = await heldGateway('auto', 'auto');
  try {
    // One instance at 1 s a call: 1 call/s, × 100 s of queue timeout = 100 calls may wait.
    c.pool.serviceMs = 1000;
    assert.equal(c.pool.queueBound(), 100);
    await c.queue(100);
    const r = await c.post();
    assert.equal(r.status, 503, r.body.toString());
    assert.equal(r.headers['retry-after'], '100', 'the 100 queued calls take 100 s to drain');
    assert.match(JSON.parse(r.body.toString()).error, /is saturated: the 100 requests queued take about 100\.0 s at the measured 1\.0 per second/);
    assert.equal(c.pool.queueDepth, 100, 'the refused request did not queue');
    // At the cap: a plain full queue (429), still saying when it will have drained (cap lowered for the test).
    const cap = AUTO_QUEUE.cap;
    try {
      AUTO_QUEUE.cap = 100;
      c.pool.serviceMs = 500; // 2 calls/s × 100 s = 200, capped at 100
      const capped = await c.post();
      assert.equal(capped.status, 429, capped.body.toString());
      assert.equal(capped.headers['retry-after'], '50');
    } finally {
      AUTO_QUEUE.cap = cap;
    }
    // Faster (measured 10 ms): 10000 calls in the timeout, capped; room again.
    c.pool.serviceMs = 10;
    assert.equal(c.pool.queueBound(), AUTO_QUEUE.cap);
    assert.equal(c.pool.refusal(), undefined);
    // Not measured: the floor, and a plain full queue (429).
    c.pool.serviceMs = undefined;
    assert.equal(c.pool.queueBound(), AUTO_QUEUE.floor);
    const full = await c.post();
    assert.equal(full.status, 429, full.body.toString());
    assert.equal(full.headers['retry-after'], '1');
    c.pool.serviceMs = 1000;
    await c.release();
  } finally {
    await c.close();
  }
});

test('a fixed --queue N keeps its 429 at N, whatever the throughput', async () => {
  const c = await heldGateway('fixed', 3);
  try {
    c.pool.serviceMs = 1000;
    await c.queue(3);
    const r = await c.post();
    assert.equal(r.status, 429, r.body.toString());
    assert.equal(r.headers['retry-after'], '1');
    await c.release();
  } finally {
    await c.close();
  }
});

test('deadline: a request the calls queued ahead of it already make late is shed at arrival (503, reason deadline)', async () => {
  const c = await heldGateway('deadline', 'auto');
  try {
    c.pool.serviceMs = 200_000; // 200 s a call
    await c.queue(3, { deadline_ms: 500_000 });
    // Behind 3 calls of ≥ 200 s each on one instance: cannot start before 600 s, its deadline is 550 s.
    const late = await c.post({ deadline_ms: 550_000 });
    assert.equal(late.status, 503, late.body.toString());
    const body = JSON.parse(late.body.toString());
    assert.equal(body.reason, 'deadline');
    assert.match(body.error, /request shed at function '.*': \d+ ms left before its deadline, the rest of the chain is predicted to need \d+ ms/);
    // An earlier deadline goes ahead of them (earliest deadline first): nothing ahead, it queues.
    const early = c.post({ deadline_ms: 450_000 });
    await until(() => c.pool.queueDepth === 4, 'the earlier deadline to queue');
    c.pool.serviceMs = 1000;
    await c.release();
    assert.equal((await early).status, 200);
    assert.equal(c.g.stats('m').deadlines.shed, 1);
  } finally {
    await c.close();
  }
});
