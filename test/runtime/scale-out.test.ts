/**
 * The pool's scale-out policy: `eager` starts an instance the moment a call finds every instance busy; `patient`
 * defers that start while the queue's expected wait is shorter than a start (the busy instance will serve the call
 * first, so the start would only be billed) and makes it once the call is still waiting by then. Deterministic: the
 * host is held with SIGSTOP, and the measured service time is set to 90 % of the host's own start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, scaleOutDelayMs, type ScaleOutState } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';

test('scaleOutDelayMs: the expected wait (+ one warm call of slack) when shorter than a start, else 0', () => {
  const st = (o: Partial<ScaleOutState>): ScaleOutState => ({ serviceMs: 10, lastStartMs: 500, readySlots: 1, startingSlots: 0, startElapsedMs: 0, queued: 0, ...o });
  assert.equal(scaleOutDelayMs('patient', st({})), 20, 'one call ahead on one slot: 10 ms, made 10 ms later still');
  assert.equal(scaleOutDelayMs('patient', st({ readySlots: 2, queued: 3 })), 30, '4 calls on 2 slots: 20 ms');
  assert.equal(scaleOutDelayMs('patient', st({ serviceMs: 100, queued: 4 })), 0, 'a wait of 500 ms is not shorter than a 500 ms start');
  // Nothing ready, a start under way for 300 of its expected 500 ms: the rest of it, then the calls.
  assert.equal(scaleOutDelayMs('patient', st({ readySlots: 0, startingSlots: 1, startElapsedMs: 300 })), 220);
  assert.equal(scaleOutDelayMs('patient', st({ readySlots: 0, startingSlots: 1, startElapsedMs: 0, queued: 3 })), 0, 'a whole start plus the calls: not shorter');
  assert.equal(scaleOutDelayMs('eager', st({})), 0);
  assert.equal(scaleOutDelayMs(undefined, st({})), 0);
  assert.equal(scaleOutDelayMs('patient', st({ serviceMs: undefined })), 1, 'no warm call measured: the slots are taken as free soon');
  assert.equal(scaleOutDelayMs('patient', st({ lastStartMs: 0 })), 0, 'no start measured yet');
  assert.equal(scaleOutDelayMs('patient', st({ readySlots: 0 })), 0, 'nothing ready or starting to wait for');
});

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

for (const scaleOut of ['eager', 'patient'] as const) {
  test(`scaleOut ${scaleOut}: a call finding the one instance busy ${scaleOut === 'eager' ? 'starts another at once' : 'waits, and starts another only once it has waited the expected time'}`, async () => {
    const d = tmpDir(`scale-${scaleOut}`);
    const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 2, queueTimeoutMs: 100_000, scaleOut } });
    let held: number | undefined;
    try {
      g.addModel(writeToyModel(d), 'm');
      const url = `http://127.0.0.1:${(await g.listen(0)).port}`;
      const meta = await modelMetadata(url, 'm');
      const feeds = randomFeeds(meta, 1);
      const want = (await infer(url, 'm', feeds)).outputs;
      const m = g.models.get('m')!;
      const pool = m.pools.get(m.manifest.functions[0]!.name)!;
      assert.equal(pool.instances.length, 1);
      const host = pool.instances[0]!;
      assert.ok(host.coldStartMs > 0);
      pool.serviceMs = host.coldStartMs * 0.9;
      held = host.pid!;
      process.kill(held, 'SIGSTOP');
      const busy = infer(url, 'm', feeds);
      await until(() => host.active === 1, 'the held host took the first call');
      const waiting = infer(url, 'm', feeds);
      await until(() => pool.queueDepth === 1 || pool.instances.length === 2, 'the second call queued or scaled out');
      const t0 = performance.now();
      if (scaleOut === 'eager') {
        assert.equal(pool.instances.length, 2, 'started at once');
      } else {
        assert.equal(pool.instances.length, 1, 'no start while the busy instance is expected first');
        await until(() => pool.instances.length === 2, 'the deferred start');
        assert.ok(performance.now() - t0 >= host.coldStartMs * 0.9 - 50, 'made only after the expected wait');
      }
      // The held host cannot answer: the waiting call is answered by the new instance meanwhile.
      assert.deepEqual((await waiting).outputs, want);
      assert.equal(host.active, 1, 'the held host still has its call');
      process.kill(held, 'SIGCONT');
      held = undefined;
      assert.deepEqual((await busy).outputs, want);
    } finally {
      if (held !== undefined) { try { process.kill(held, 'SIGCONT'); } catch { /* gone */ } }
      await g.close();
      cleanup(d);
    }
  });
}
