/**
 * Issue 29: request concurrency per instance (Cloud Run --concurrency, Knative containerConcurrency; the pool's
 * `maxInFlight`, `serve --concurrency`). With N allowed per instance, N overlapping calls go to one host and each
 * gets its own answer; call N+1 waits (one instance allowed) or scales out. Deterministic: the host is held with
 * SIGSTOP while the calls are handed to it, so they overlap whatever the machine's speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';

const N = 3;

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

for (const maxInstances of [1, 2]) {
  test(`maxInFlight ${N}, ${maxInstances} instance(s) allowed: ${N} overlapping calls on one host, each answered with its own result; call ${N + 1} ${maxInstances === 1 ? 'waits' : 'scales out'}`, async () => {
    const d = tmpDir(`conc${maxInstances}`);
    const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances, maxInFlight: N, queueTimeoutMs: 100_000 } });
    let held: number | undefined;
    try {
      g.addModel(writeToyModel(d), 'm');
      const url = `http://127.0.0.1:${(await g.listen(0)).port}`;
      const meta = await modelMetadata(url, 'm');
      const feeds = Array.from({ length: N + 1 }, (_, i) => randomFeeds(meta, i + 1));
      // The answers one at a time: what every concurrent answer must equal.
      const want: Array<Awaited<ReturnType<typeof infer>>['outputs']> = [];
      for (const f of feeds) want.push((await infer(url, 'm', f)).outputs);
      assert.notDeepEqual(want[0], want[1], 'different inputs, different answers: a mix-up would show');
      const m = g.models.get('m')!;
      const pool = m.pools.get(m.manifest.functions[0]!.name)!;
      assert.equal(pool.instances.length, 1);
      const host = pool.instances[0]!;
      held = host.pid!;
      process.kill(held, 'SIGSTOP');
      const replies = feeds.map((f) => infer(url, 'm', f));
      await until(() => host.active === N && (maxInstances === 1 ? pool.queueDepth === 1 : pool.instances.length === 2), `${N} calls on the host and the last one waiting or scaling out`);
      assert.equal(host.active, N, `the one host took ${N} calls at once`);
      if (maxInstances === 1) {
        assert.equal(pool.instances.length, 1, 'no instance beyond the limit');
        assert.equal(pool.queueDepth, 1, `call ${N + 1} waits`);
      } else {
        // The held host cannot answer: the call that scaled out is answered by the new instance meanwhile.
        const first = await Promise.race(replies.map((r, i) => r.then(() => i)));
        assert.equal(pool.instances.length, 2);
        assert.equal(host.active, N, 'the held host still has its calls');
        assert.equal(first, N, `the call beyond ${N} ran on the new instance`);
      }
      process.kill(held, 'SIGCONT');
      held = undefined;
      const got = await Promise.all(replies);
      got.forEach((r, i) => assert.deepEqual(r.outputs, want[i], `request ${i} got its own answer`));
    } finally {
      if (held !== undefined) { try { process.kill(held, 'SIGCONT'); } catch { /* gone */ } }
      await g.close();
      cleanup(d);
    }
  });
}

for (const target of [0.1, undefined]) {
  test(`concurrent instances ${target === undefined ? 'without a target utilisation scale out only when full' : `scale out once their busy share reaches ${target} (Cloud Run's CPU target), the call still served by the busy one`}`, async () => {
    const d = tmpDir(`util${target ?? 'none'}`);
    const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 2, maxInFlight: 80, queueTimeoutMs: 100_000, ...(target === undefined ? {} : { scaleAtUtilisation: target }) } });
    let held: number | undefined;
    try {
      g.addModel(writeToyModel(d), 'm');
      const url = `http://127.0.0.1:${(await g.listen(0)).port}`;
      const feeds = randomFeeds(await modelMetadata(url, 'm'), 1);
      const m = g.models.get('m')!;
      const pool = m.pools.get(m.manifest.functions[0]!.name)!;
      await until(() => pool.instances.length === 1 && pool.instances[0]!.isReady && pool.instances[0]!.active === 0, 'the pre-warmed instance idle');
      const host = pool.instances[0]!;
      held = host.pid!;
      process.kill(held, 'SIGSTOP');
      // Busy from now on (its calls cannot finish): the busy share grows from ~0 (idle since it started).
      const replies = [infer(url, 'm', feeds)];
      await until(() => host.active === 1, 'the first call on the host');
      replies.push(infer(url, 'm', feeds));
      await until(() => host.active === 2, 'the second call on the same host');
      assert.equal(pool.instances.length, 1, 'a busy share near 0: no scale-out');
      // 1.5 s busy with a 10 s window: share ≈ 1 − e^(−0.15) ≈ 0.14.
      await new Promise((r) => setTimeout(r, 1500));
      replies.push(infer(url, 'm', feeds));
      await until(() => host.active === 3, 'the third call on the least busy ready instance (the only ready one)');
      assert.equal(pool.instances.length, target === undefined ? 1 : 2, target === undefined ? 'no target: one instance while it has free slots' : 'busy share ≥ target: another instance started');
      process.kill(held, 'SIGCONT');
      held = undefined;
      for (const r of await Promise.all(replies)) assert.ok(r.outputs);
    } finally {
      if (held !== undefined) { try { process.kill(held, 'SIGCONT'); } catch { /* gone */ } }
      await g.close();
      cleanup(d);
    }
  });
}
