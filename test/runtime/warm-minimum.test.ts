/**
 * Issue 29: the runtime holds a warm minimum (pool option `minInstances`, the plan's groups[].minInstances,
 * `serve --min-instances`): started in the background when serving starts, never reclaimed by the keep-alive,
 * restarted when one dies, at most maxInstances. Deterministic: a SIGSTOPped instance forces the scale-out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, batchingFromPlan, infer, modelMetadata, randomFeeds, warmMinimum, type FunctionPool } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const live = (p: FunctionPool) => p.instances.filter((i) => !i.dead && i.exitReason === undefined);

test('warm minimum: held from serve on, the instances above it reclaimed, never those within it, a dead one restarted', async () => {
  const d = tmpDir('warm-min');
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 3, minInstances: 1, keepWarmMs: 1000 } });
  const reasons: string[] = [];
  g.onSpawn = (_m, _f, _i, reason) => reasons.push(reason);
  try {
    g.addModel(writeToyModel(d), 'm');
    const pool = g.models.get('m')!.pools.values().next().value as FunctionPool;
    assert.equal(pool.instances.length, 0, 'nothing starts before serving');
    const base = `http://127.0.0.1:${(await g.listen(0)).port}`;
    // --cold: listen did not start anything itself; the minimum starts in the background.
    assert.equal(live(pool).length, 1);
    await until(() => pool.instances[0]!.isReady, 'the warm instance to be ready');
    assert.deepEqual(reasons, ['policy']);
    const feeds = randomFeeds(await modelMetadata(base, 'm'), 1);
    // Scale out: the warm instance held, a second request starts another (demand).
    const held = pool.instances[0]!;
    process.kill(held.pid!, 'SIGSTOP');
    const first = infer(base, 'm', feeds);
    await until(() => held.active === 1, 'the first call to reach the held instance');
    await infer(base, 'm', feeds);
    process.kill(held.pid!, 'SIGCONT');
    await first;
    assert.equal(live(pool).length, 2);
    // Past the keep-alive the extra instance goes; the minimum stays.
    await until(() => live(pool).length === 1, 'the instance above the minimum to be reclaimed');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(live(pool).length, 1, 'the warm minimum is never reclaimed');
    // A dead warm instance is replaced at once.
    const survivor = live(pool)[0]!;
    process.kill(survivor.pid!, 'SIGKILL');
    await until(() => live(pool).some((i) => i !== survivor && i.isReady), 'the warm minimum to be restarted');
    assert.equal(reasons.filter((r) => r === 'policy').length, 2);
    // Raised above the limit: bounded by maxInstances (3); lowered again: the idle ones are reclaimed.
    pool.setMinInstances(5);
    assert.equal(pool.minInstances, 3);
    await until(() => live(pool).length === 3 && live(pool).every((i) => i.isReady), 'three warm instances');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /mopar_function_min_instances\{model="m",function="[^"]+"\} 3/);
    const status = g.status().models[0]!.groups[0]!.functions[0]!;
    assert.equal(status.minInstances, 3);
    pool.setMinInstances(0);
    await until(() => live(pool).length === 0, 'every idle instance to be reclaimed at minimum 0');
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('batching plan: groups[].minInstances are read, and the groups sharing one model add theirs up', () => {
  const doc = {
    model: 'm', apps: [{ name: 'a', sloMs: 100 }, { name: 'b', sloMs: 900 }],
    groups: [{ apps: ['a'], maxBatch: 1, timeoutMs: 0, minInstances: 2 }, { apps: ['b'], maxBatch: 4, timeoutMs: 50, minInstances: 1 }],
  };
  const { config } = batchingFromPlan(doc, 'plan');
  assert.deepEqual(config.groups.map((g) => g.minInstances), [2, 1]);
  assert.equal(warmMinimum(config), 3);
  // A plan written before warm minimums: none is asked for (the pools keep their own).
  const old = batchingFromPlan({ ...doc, groups: doc.groups.map(({ minInstances: _, ...g }) => g) }, 'plan');
  assert.equal(warmMinimum(old.config), undefined);
});
