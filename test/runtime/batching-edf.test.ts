/**
 * Issue 29: batched requests are served earliest deadline first and shed early (503, reason deadline) when they can
 * no longer meet their deadline, as unbatched requests are. Deterministic: the only instance is held with SIGSTOP
 * (as in admission.test.ts), so everything after it queues; the batcher's own shedding runs on a fake chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Feeds } from '../../src/graph/index.js';
import {
  Batcher, DEFAULT_GATEWAY, Gateway, binaryInferRequest, httpRequest, modelMetadata, randomFeeds, type FunctionPool, type InferResult,
} from '../../src/runtime/index.js';
import { DeadlineError } from '../../src/runtime/admission.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const SLO = { loose: 600_000, mid: 300_000, tight: 1_500 };

test('batched requests behind a held instance: the tighter SLO runs first; one that can no longer make it is shed (503) before it runs', async () => {
  const d = tmpDir('batch-edf');
  const model = join(d, 'mobilenetv2.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, queueTimeoutMs: 300_000 } });
  let held: number | undefined;
  try {
    g.addModel(model, 'm');
    // One batch per request (maxBatch 1): the order at stake is that of the batches in the function's queue.
    g.enableBatching('m', { groups: [{ apps: Object.entries(SLO).map(([name, sloMs]) => ({ name, sloMs })), maxBatch: 1, timeoutMs: 0 }] });
    const base = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(base, 'm'), 1);
    const send = (app: string) => {
      const { body, headers } = binaryInferRequest(feeds);
      return httpRequest(`${base}/v2/models/m/infer`, { method: 'POST', headers: { ...headers, 'x-mopar-app': app }, body });
    };
    assert.equal((await send('loose')).status, 200); // warm, and a measured call
    const m = g.models.get('m')!;
    const pool: FunctionPool = m.pools.get(m.manifest.functions[0]!.name)!;
    // The pool's calls in the order they finished, named by their batch's deadline (time left when they finished).
    const finished: string[] = [];
    const invoke = pool.invoke.bind(pool);
    pool.invoke = async (...args: Parameters<FunctionPool['invoke']>) => {
      const r = await invoke(...args);
      const left = (args[2]?.deadline ?? Infinity) - performance.now();
      finished.push(left > 450_000 ? 'loose' : left > 200_000 ? 'mid' : 'tight');
      return r;
    };
    const host = pool.instances[0]!;
    held = host.pid!;
    // Held first: the call handed to it cannot answer, everything after queues.
    process.kill(held, 'SIGSTOP');
    const first = send('loose');
    await until(() => host.active === 1, 'the first batch to reach the instance');
    const later = send('loose');
    await until(() => pool.queueDepth === 1, 'the loose request to queue');
    const sooner = send('mid');
    await until(() => pool.queueDepth === 2, 'the mid request to queue');
    // 1.5 s SLO: it cannot wait for the held instance; shed from the queue while the instance is still held.
    const tight = await send('tight');
    assert.equal(tight.status, 503, tight.body.toString());
    assert.ok(tight.headers['retry-after'], 'a shed request carries Retry-After');
    const body = JSON.parse(tight.body.toString());
    assert.equal(body.reason, 'deadline');
    assert.match(body.error, /request shed at function/);
    assert.equal(pool.queueDepth, 2, 'the others still wait');
    process.kill(held, 'SIGCONT');
    held = undefined;
    for (const r of await Promise.all([first, later, sooner])) assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(finished, ['loose', 'mid', 'loose']);
    const stats = g.stats('m');
    assert.equal(stats.deadlines.shed, 1);
    const metrics = (await httpRequest(`${base}/metrics`)).body.toString();
    assert.match(metrics, /mopar_requests_shed_total\{model="m",app="tight"\} 1/);
  } finally {
    if (held !== undefined) try { process.kill(held, 'SIGCONT'); } catch { /* gone */ }
    await g.close();
    cleanup(d);
  }
});

/** A fake chain of `ms` per batch that records the options each batch was run with. */
function fakeRun(ms: number, seen: Array<{ rows: number; deadline?: number; shedDeadline?: number }>) {
  return async (feeds: Feeds, opts: { deadline?: number; shedDeadline?: number }): Promise<InferResult> => {
    seen.push({ rows: feeds.x!.dims[0]!, ...opts });
    await new Promise((r) => setTimeout(r, ms));
    const x = feeds.x!.data as Float32Array;
    return { outputs: { y: { dtype: 'float32', dims: [...feeds.x!.dims], data: x.map((v) => v * 2) } }, calls: [], edges: [], ms };
  };
}
const one = (v: number): Feeds => ({ x: { dtype: 'float32', dims: [1, 2], data: Float32Array.from([v, v + 0.5]) } });

test('batcher: a request its batch cannot serve in time is shed at dispatch (DeadlineError), not run; a batch runs ordered by its earliest deadline, shed only by its latest', async () => {
  const seen: Array<{ rows: number; deadline?: number; shedDeadline?: number }> = [];
  const b = new Batcher({ groups: [{ apps: [{ name: 'a', sloMs: 60_000 }, { name: 'b', sloMs: 120_000 }], maxBatch: 2, timeoutMs: 50 }] }, fakeRun(100, seen));
  const t0 = performance.now();
  // A batch of both applications: queued by its earliest deadline, shed only once its latest is lost.
  await Promise.all([b.submit('b', one(1), t0), b.submit('a', one(2), t0)]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.rows, 2);
  assert.equal(seen[0]!.deadline, t0 + 60_000);
  assert.equal(seen[0]!.shedDeadline, t0 + 120_000);
  // Batches take ~100 ms now; a request with 10 ms left cannot make it even if it ran at once.
  const now = performance.now();
  const shed = b.submit('a', one(3), now, now + 10);
  await assert.rejects(shed, (e: unknown) => e instanceof DeadlineError && e.status === 503 && /request shed at batch group 'a\+b'/.test(e.message));
  assert.equal(seen.length, 1, 'the shed request did not run');
  // Shedding does not charge a lone request a whole mean batch (2 rows, ~100 ms): with 70 ms left it is run.
  const later = performance.now();
  const ran = await b.submit('a', one(5), later, later + 70);
  assert.equal(ran.batchSize, 1);
  assert.equal(seen.length, 2, 'the lone request ran');
  // Without a deadline of its own: its application's SLO, as before.
  const r = await b.submit('a', one(4));
  assert.equal(r.batchSize, 1);
  b.close();
});
