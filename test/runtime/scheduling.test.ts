/**
 * Issue 16, runtime scheduling: a request entering a cold chain starts every function of it at once; queued
 * calls run earliest-deadline-first (no deadline: arrival order); a request that can no longer meet its
 * deadline is shed early (503, reason 'deadline') instead of computing; the histogram keep-alive policy unloads
 * and pre-warms. Orderings are made observable by holding a host with SIGSTOP, never by timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allclose } from '../../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, httpRequest, infer, modelMetadata, randomFeeds, FunctionInstance, type FunctionPool, type SpawnReason } from '../../src/runtime/index.js';
import { BACKGROUND_SHARES } from '../../src/runtime/instance.js';
import { cgroupsAvailable } from '../../src/core/index.js';
import { cleanup, tmpDir, writeChunkedManifest, writeSlowModel, writeToyManifest } from './helpers.js';
import { runCli, startServe } from '../cli/run-cli.js';

const until = async (cond: () => boolean, what: string, ms = 60_000, pollMs = 20) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
};

const jsonBody = (feeds: ReturnType<typeof randomFeeds>, parameters: Record<string, unknown> = {}) => JSON.stringify({
  inputs: Object.entries(feeds).map(([name, t]) => ({ name, datatype: 'FP32', shape: t.dims, data: Array.from(t.data as Float32Array) })),
  parameters,
});

interface Spawn { fn: string; at: number; reason: SpawnReason; inst: FunctionInstance }



async function coldChain(tag: string, warmUp: boolean) {
  const d = tmpDir(tag);
  const toy = await writeToyManifest(d); // head → (left ‖ right) → tail: 4 functions
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, warmUp, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 200 } });
  g.addModel(toy.dir, 'p');
  g.addModel(toy.model, 'u');
  const spawns: Spawn[] = [];
  let holdHead = false;
  g.onSpawn = (model, fn, inst, reason) => {
    if (model !== 'p') return;
    spawns.push({ fn, at: performance.now(), reason, inst });
    // Function 0's host is held before it can load, so its output cannot exist until the test lets it go.
    if (fn === 'head' && holdHead) process.kill(inst.pid!, 'SIGSTOP');
  };
  const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
  const feeds = randomFeeds(await modelMetadata(b, 'u'), 3);
  const want = await infer(b, 'u', feeds);
  assert.equal((await infer(b, 'p', feeds)).status, 200);
  const pools = [...g.models.get('p')!.pools.values()];
  // The short keep-alive passes: every function goes cold.
  await until(() => pools.every((p) => p.instances.length === 0), 'every function of the chain to go cold');
  spawns.length = 0;
  return { d, g, b, feeds, want, pools, spawns, hold: () => { holdHead = true; }, close: async () => { await g.close(); cleanup(d); } };
}

test('warm-up: a request entering a cold chain starts every function before the first one has an output', async () => {
  const c = await coldChain('warmup', true);
  try {
    c.hold();
    const reply = infer(c.b, 'p', c.feeds);
    // head's host is stopped (it cannot load, let alone compute), yet every function of the chain is started.
    await until(() => c.pools.every((p) => p.instances.length === 1), 'every function to have an instance');
    const head = c.spawns.find((s) => s.fn === 'head')!;
    assert.deepEqual(c.spawns.map((s) => s.fn).sort(), ['head', 'left', 'right', 'tail']);
    assert.ok(c.spawns.every((s) => s.reason === 'request'), JSON.stringify(c.spawns.map((s) => [s.fn, s.reason])));
    assert.equal(head.inst.isReady, false, 'function 0 must still be held');
    process.kill(head.inst.pid!, 'SIGCONT');
    const got = await reply;
    assert.equal(got.status, 200);
    const out = Object.keys(c.want.outputs)[0]!;
    const close = allclose(got.outputs[out], c.want.outputs[out]);
    assert.ok(close.ok, JSON.stringify(close));
    // One start per function for this request: none was started again when its input arrived.
    assert.equal(c.spawns.length, 4);
    const stats = c.g.stats('p');
    for (const f of stats.functions) assert.ok(f.starts.request >= 1, `${f.name}: ${JSON.stringify(f.starts)}`);
  } finally {
    await c.close();
  }
});

test('without warm-up (--no-warm-up) a downstream function starts only after its input exists', async () => {
  const c = await coldChain('nowarm', false);
  try {
    const got = await infer(c.b, 'p', c.feeds);
    assert.equal(got.status, 200);
    const headDone = (() => {
      const h = c.spawns.find((s) => s.fn === 'head')!;
      return h.inst; // its invocation ended before tail's input existed
    })();
    const tail = c.spawns.find((s) => s.fn === 'tail')!;
    assert.ok(c.spawns.every((s) => s.reason === 'demand'));
    // tail was spawned after head had loaded and answered (head's instance became ready before tail existed).
    assert.ok(headDone.startedAt + headDone.coldStartMs < tail.at, 'tail started before head was ready');
  } finally {
    await c.close();
  }
});

/** One function (the unsplit slow model), one instance, queue long enough; returns helpers. */
/**
 * The order in which the pool finished the calls of requests named in the order they reached it (read on the
 * gateway, not from the answers: answers of calls run back to back can be read out of order by this shared
 * event loop).
 */
function finishOrder(pool: FunctionPool) {
  const arrived: string[] = [];
  const finished: string[] = [];
  let next = 0;
  const invoke = pool.invoke.bind(pool);
  pool.invoke = async (...args: Parameters<FunctionPool['invoke']>) => {
    const name = arrived[next++] ?? '?';
    const r = await invoke(...args);
    finished.push(name);
    return r;
  };
  return {
    track: (name: string, reply: () => Promise<{ status: number; body: Buffer }>) => {
      arrived.push(name);
      return reply().then((r) => assert.equal(r.status, 200, `${name}: ${r.body.toString()}`));
    },
    order: () => finished,
  };
}

async function oneInstance(tag: string, extraManifest?: { k: number; predictedMs: number }) {
  const d = tmpDir(tag);
  const slow = writeSlowModel(d, 8);
  let path = slow;
  if (extraManifest) {
    path = join(d, 'part');
    await writeChunkedManifest(slow, path, extraManifest.k, 'inline', { predictedMs: extraManifest.predictedMs });
  }
  const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, queueTimeoutMs: 300_000 } });
  g.addModel(path, 'slow');
  const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
  const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
  const post = (parameters: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    httpRequest(`${b}/v2/models/slow/infer`, { method: 'POST', body: jsonBody(feeds, parameters), headers: { 'content-type': 'application/json', ...headers } });
  assert.equal((await post()).status, 200); // warm
  const first = g.models.get('slow')!.pools.get(g.models.get('slow')!.manifest.functions[0]!.name)!;
  return { d, g, b, post, first, close: async () => { await g.close(); cleanup(d); } };
}

test('EDF: with one instance, queued requests run earliest deadline first; those without a deadline after, in arrival order', async () => {
  const c = await oneInstance('edf');
  try {
    const host = c.first.instances[0]!;
    const done = finishOrder(c.first);
    const send = (name: string, deadlineMs?: number) => done.track(name, () => c.post(deadlineMs === undefined ? {} : { deadline_ms: deadlineMs }));
    const a = send('A');
    await until(() => host.active === 1, 'A to reach the instance');
    process.kill(host.pid!, 'SIGSTOP');
    const queued: Promise<void>[] = [];
    // Deadlines far beyond any run time here: nothing is shed, only the order is at stake.
    for (const [name, dl] of [['B', undefined], ['C', 600_000], ['D', undefined], ['E', 300_000]] as const) {
      queued.push(send(name, dl));
      await until(() => c.first.queueDepth === queued.length, `${name} to queue`);
    }
    process.kill(host.pid!, 'SIGCONT');
    await Promise.all([a, ...queued]);
    assert.deepEqual(done.order(), ['A', 'E', 'C', 'B', 'D']);
    const stats = c.g.stats('slow');
    assert.deepEqual(stats.deadlines, { requests: 2, met: 2, missed: 0, shed: 0 });
  } finally {
    await c.close();
  }
});

test('scale-out is work-conserving: a call that starts a new instance runs on the busy one if it frees first', async () => {
  const d = tmpDir('conserve');
  const slow = writeSlowModel(d, 8);
  const g = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 2 } });
  const demand: FunctionInstance[] = [];
  // Every instance started on demand is held before it can load: it cannot serve anything until released.
  g.onSpawn = (_m, _fn, inst, reason) => { if (reason === 'demand') { demand.push(inst); process.kill(inst.pid!, 'SIGSTOP'); } };
  g.addModel(slow, 'slow');
  try {
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
    assert.equal((await infer(b, 'slow', feeds)).status, 200); // warm
    const pool = g.models.get('slow')!.pools.get(g.models.get('slow')!.manifest.functions[0]!.name)!;
    const warm = pool.instances[0]!;
    process.kill(warm.pid!, 'SIGSTOP');
    const a = infer(b, 'slow', feeds);
    await until(() => warm.active === 1, 'A to reach the warm instance');
    const second = infer(b, 'slow', feeds);
    await until(() => demand.length === 1 && pool.queueDepth === 1, 'B to start a second instance and queue');
    process.kill(warm.pid!, 'SIGCONT');
    const [ra, rb] = await Promise.all([a, second]);
    assert.equal(ra.status, 200);
    assert.equal(rb.status, 200, 'B ran on the warm instance while the one it started was still held');
    assert.equal(demand[0]!.isReady, false);
    assert.equal(pool.queueDepth, 0);
    // The started instance joins the pool once it is ready, and idles.
    process.kill(demand[0]!.pid!, 'SIGCONT');
    await until(() => demand[0]!.isReady, 'the second instance to finish its start');
    assert.equal(demand[0]!.active, 0);
    assert.equal((await infer(b, 'slow', feeds)).status, 200);
  } finally {
    for (const i of demand) if (!i.dead) process.kill(i.pid!, 'SIGCONT');
    await g.close();
    cleanup(d);
  }
});

test('a request shed while its instance starts leaves the start to finish; the instance then idles for its keep-alive', async () => {
  const d = tmpDir('shed-start');
  const slow = writeSlowModel(d, 8);
  const g = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 300 } });
  const spawned: FunctionInstance[] = [];
  // The instance is held before it can load, so the request's deadline passes while it starts.
  g.onSpawn = (_m, _fn, inst) => { spawned.push(inst); process.kill(inst.pid!, 'SIGSTOP'); };
  g.addModel(slow, 'slow');
  try {
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'slow'), 1);
    const shed = await httpRequest(`${b}/v2/models/slow/infer`, { method: 'POST', body: jsonBody(feeds, { deadline_ms: 50 }), headers: { 'content-type': 'application/json' } });
    assert.equal(shed.status, 503);
    assert.equal(spawned.length, 1);
    // Longer than the keep-alive: an instance still starting must not be stopped as idle.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(spawned[0]!.exitReason, undefined, 'the starting instance was stopped');
    process.kill(spawned[0]!.pid!, 'SIGCONT');
    await until(() => spawned[0]!.isReady, 'the instance to finish its start');
    g.onSpawn = (_m, _fn, inst) => { spawned.push(inst); };
    assert.equal((await infer(b, 'slow', feeds)).status, 200);
    assert.equal(spawned.length, 1, 'the next request found the instance warm');
  } finally {
    for (const i of spawned) if (!i.dead) { try { process.kill(i.pid!, 'SIGCONT'); } catch { /* gone */ } }
    await g.close();
    cleanup(d);
  }
});

test('no deadline: the queue is FIFO as before', async () => {
  const c = await oneInstance('fifo');
  try {
    const host = c.first.instances[0]!;
    const done = finishOrder(c.first);
    const send = (name: string) => done.track(name, () => c.post());
    const a = send('A');
    await until(() => host.active === 1, 'A to reach the instance');
    process.kill(host.pid!, 'SIGSTOP');
    const queued: Promise<void>[] = [];
    for (const name of ['B', 'C', 'D']) {
      queued.push(send(name));
      await until(() => c.first.queueDepth === queued.length, `${name} to queue`);
    }
    process.kill(host.pid!, 'SIGCONT');
    await Promise.all([a, ...queued]);
    assert.deepEqual(done.order(), ['A', 'B', 'C', 'D']);
  } finally {
    await c.close();
  }
});

test('shedding: a request that cannot meet its deadline is refused early (503 + Retry-After), not computed', async () => {
  // Two functions predicted at 400 ms each: a chain needs 800 ms.
  const c = await oneInstance('shed', { k: 2, predictedMs: 400 });
  try {
    const before = c.g.stats('slow').functions.map((f) => f.invocations);
    // At arrival: 300 ms left < 800 ms predicted → shed at once, nothing runs.
    const r = await c.post({ deadline_ms: 300 });
    assert.equal(r.status, 503, r.body.toString());
    assert.equal(r.headers['retry-after'], '1');
    const body = JSON.parse(r.body.toString());
    assert.equal(body.reason, 'deadline');
    // (On a loaded machine reading the body alone may take longer than 300 ms: then the deadline has passed.)
    assert.match(body.error, /shed at function 's0': (300|\d+) ms (left before its deadline, the rest of the chain is predicted to need 800 ms|ago)|its deadline passed/);
    assert.deepEqual(c.g.stats('slow').functions.map((f) => f.invocations), before, 'a shed request must not run any function');
    // Header form; feasible at arrival, but it waits behind a held instance until it no longer can: shed from the queue.
    const host = c.first.instances[0]!;
    const a = c.post();
    await until(() => host.active === 1, 'A to reach s0');
    process.kill(host.pid!, 'SIGSTOP');
    const late = await c.post({}, { 'x-mopar-deadline-ms': '1500' });
    process.kill(host.pid!, 'SIGCONT');
    assert.equal(late.status, 503, late.body.toString());
    assert.equal(JSON.parse(late.body.toString()).reason, 'deadline');
    assert.equal((await a).status, 200);
    // A deadline the chain can meet is answered.
    assert.equal((await c.post({ deadline_ms: 600_000 })).status, 200);
    const stats = c.g.stats('slow');
    assert.deepEqual(stats.deadlines, { requests: 3, met: 1, missed: 0, shed: 2 });
    const metrics = (await httpRequest(`${c.b}/metrics`)).body.toString();
    assert.match(metrics, /mopar_requests_shed_total\{model="slow",app=""\} 2/);
    assert.match(metrics, /mopar_deadline_requests_total\{model="slow",app=""\} 3/);
    // A bad deadline is the client's error.
    for (const bad of [-5, 0, 'soon']) {
      const r2 = await c.post({ deadline_ms: bad });
      assert.equal(r2.status, 400, r2.body.toString());
      assert.match(JSON.parse(r2.body.toString()).error, /deadline_ms must be a number of milliseconds > 0/);
    }
    assert.equal((await c.post({}, { 'x-mopar-deadline-ms': 'x' })).status, 400);
  } finally {
    await c.close();
  }
});

test('histogram keep-alive: once it has learned the gaps, an idle function is unloaded and pre-warmed before the next request', async () => {
  const d = tmpDir('hist');
  const toy = await writeToyManifest(d);
  const g = new Gateway({
    ...DEFAULT_GATEWAY, prewarm: false,
    // A wide margin: pre-warm at half the learned gap, keep until 1.5× it (a loaded machine starts hosts slowly).
    keepAlive: { kind: 'histogram', fallbackMs: 60_000, histogram: { rangeMs: 60_000, binMs: 100, headPct: 5, tailPct: 99, margin: 0.5, minSamples: 3, maxOutOfRange: 0.5 } },
  });
  try {
    g.addModel(toy.dir, 'p');
    const spawns: Spawn[] = [];
    g.onSpawn = (_m, fn, inst, reason) => spawns.push({ fn, at: performance.now(), reason, inst });
    const b = `http://127.0.0.1:${(await g.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(b, 'p'), 1);
    const model = g.models.get('p')!;
    // Hand-made history: this application was idle ~8 s between requests.
    for (let i = 0; i < 5; i++) model.keepAlive.recordIdle(8000);
    const d1 = model.keepAlive.decide();
    assert.equal(d1.source, 'histogram');
    assert.ok(d1.prewarmAfterMs > 0);
    assert.equal((await infer(b, 'p', feeds)).status, 200);
    const pools = [...model.pools.values()];
    // Right after the request every function is unloaded (nothing is kept warm through the idle head)…
    await until(() => pools.every((p) => p.instances.length === 0), 'the functions to be unloaded');
    // …and pre-warmed by the policy before the next expected request: each function once, loaded to the end.
    await until(() => spawns.filter((s) => s.reason === 'policy').length === 4, 'the policy to pre-warm every function');
    const policy = spawns.filter((s) => s.reason === 'policy');
    assert.deepEqual(policy.map((s) => s.fn).sort(), ['head', 'left', 'right', 'tail']);
    assert.deepEqual(await Promise.all(policy.map((s) => s.inst.started())), [true, true, true, true]);
    const r = await infer(b, 'p', feeds);
    assert.equal(r.status, 200);
    const stats = g.stats('p');
    assert.equal(stats.keepAlive.kind, 'histogram');
  } finally {
    await g.close();
    cleanup(d);
  }
});

test('mopar serve --keep-alive / --no-warm-up: bad policies are exit 2, a histogram policy is served and reported', async () => {
  const d = tmpDir('cli-ka');
  try {
    const toy = await writeToyManifest(d);
    for (const bad of ['lru', 'fixed:-3', 'histogram:head=50,tail=10']) {
      const r = await runCli(['serve', toy.dir, '--port', '0', '--keep-alive', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^mopar: error: --keep-alive/m);
    }
    const s = await startServe([toy.dir, '--port', '0', '--cold', '--no-warm-up', '--keep-alive', 'histogram:min=2,bin=50']);
    try {
      const feeds = randomFeeds(await modelMetadata(s.base, 'toy'), 1);
      assert.equal((await infer(s.base, 'toy', feeds)).status, 200);
      const stats = JSON.parse((await httpRequest(`${s.base}/v2/models/toy/stats`)).body.toString());
      assert.equal(stats.keepAlive.kind, 'histogram');
      assert.deepEqual(stats.keepAlive.samples, { inRange: 0, outOfRange: 0 });
      assert.equal(stats.keepAlive.decision.source, 'fixed'); // too few samples yet
      // --no-warm-up: every instance was started by demand, none by the request's warm-up.
      for (const f of stats.functions) assert.deepEqual([f.starts.request, f.starts.demand], [0, 1], f.name);
    } finally {
      await s.stop();
    }
  } finally {
    cleanup(d);
  }
});

/** cpu.shares of the mopar cgroup `pid` runs in (cgroup v1); undefined while it is not in one. */
function cpuShares(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('cpu'));
    const path = line?.split(':')[2];
    if (!path || !path.includes('mopar-')) return undefined;
    return Number(readFileSync(join('/sys/fs/cgroup/cpu', path, 'cpu.shares'), 'utf8'));
  } catch {
    return undefined;
  }
}

test('a background start (scale-out, pre-warm) runs at cpu.shares 2 until ready, then at the default 1024', { skip: !(cgroupsAvailable().cpu && cgroupsAvailable().memory) && 'cgroup v1 cpu and memory controllers not writable here' }, async () => {
  const d = tmpDir('background');
  const file = writeSlowModel(d, 8);
  const cfg = { name: 'slow', file, inputs: ['x'], outputs: ['y'], threads: 1, memArena: true, prepacking: false, linkMBps: 100 };
  const fg = new FunctionInstance('slow', cfg, { enforce: true, vcpu: 1, memoryMB: 512 }, () => {});
  const bg = new FunctionInstance('slow', cfg, { enforce: true, vcpu: 1, memoryMB: 512, background: true }, () => {});
  try {
    // Held as soon as it is in its group (node has not even booted): the weight is read while the start is under way.
    await until(() => cpuShares(bg.pid!) !== undefined, 'the background host to enter its cgroup', 60_000, 1);
    process.kill(bg.pid!, 'SIGSTOP');
    assert.equal(bg.isReady, false);
    await until(() => cpuShares(fg.pid!) !== undefined, 'the other host to enter its cgroup');
    assert.equal(cpuShares(bg.pid!), BACKGROUND_SHARES);
    assert.equal(cpuShares(fg.pid!), 1024);
    assert.equal(bg.isReady, false);
    process.kill(bg.pid!, 'SIGCONT');
    assert.ok(await bg.started() && await fg.started());
    assert.equal(cpuShares(bg.pid!), 1024, 'a ready instance serves at the full weight');
  } finally {
    if (!bg.dead) process.kill(bg.pid!, 'SIGCONT');
    await Promise.all([bg.stop(), fg.stop()]);
    cleanup(d);
  }
});

