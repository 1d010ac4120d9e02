/**
 * A fleet served (issue 30): the function every model shares runs on ONE pool — one instance started for three
 * models' requests, its starts counted once — while each model's answers equal its own unsplit model's; closing
 * the gateway stops every host process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allclose, saveModel } from '../../src/graph/index.js';
import { loadFleet, partitionFleet } from '../../src/partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { buildZooModel, modelVariant } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

interface FnStats { name: string; instances: number; coldStarts: number; invocations: number; starts: Record<string, number>; sharedBy?: string[] }

test('a 3-model fleet: the shared function has one pool and one instance for all three models; answers allclose; nothing left after close', async () => {
  const dir = tmpDir('fleet-shared');
  const gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false });
  const pids: number[] = [];
  try {
    const base = buildZooModel('resnet50', { tiny: true });
    const paths = [0, 1, 2].map((v) => {
      const p = join(dir, `v${v}.onnx`);
      saveModel(modelVariant(base, v), p);
      return p;
    });
    const out = join(dir, 'fleet');
    const { fleet } = await partitionFleet(paths, out, { profiling: { runs: 1, cpuScaling: false, measureRss: false }, plan: { platform: 'gcp-cloud-run' }, layout: 'prefix' });
    assert.equal(fleet.shared.filter((s) => s.models.length === 3).length, 1);
    const names = loadFleet(out).models.map(({ name, path }) => gw.addModel(path, name));
    paths.forEach((p, v) => gw.addModel(p, `v${v}-whole`));
    // The same model folder served twice (a sweep's control pair) keeps two pools: only a fleet's shared functions merge.
    const twice = loadFleet(out).models[1]!.path;
    gw.addModel(twice, 'v1-again');
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;

    const sharedFn = gw.models.get('v0')!.manifest.functions.find((f) => f.name.startsWith('shared.'))!.name;
    const pools = names.map((n) => gw.models.get(n)!.pools.get(sharedFn)!);
    assert.ok(pools.every((p) => p === pools[0]), 'one pool for the shared function');
    for (const [fn, p] of gw.models.get('v1')!.pools) if (!fn.startsWith('shared.')) assert.notEqual(gw.models.get('v1-again')!.pools.get(fn), p, `${fn}: own pools stay apart`);
    const meta = await modelMetadata(url, 'v0');
    const feeds = randomFeeds(meta, 11);
    for (const n of names) {
      const [a, b] = await Promise.all([infer(url, n, feeds), infer(url, `${n}-whole`, feeds)]);
      for (const o of meta.outputs) {
        const c = allclose(a.outputs[o.name], b.outputs[o.name]);
        assert.ok(c.ok, `${n} ${o.name}: ${JSON.stringify(c.worst)}`);
      }
    }
    // Every model called the shared function once; its one instance was started (and counted) once.
    const stats = await Promise.all(names.map(async (n) => (await (await fetch(`${url}/v2/models/${n}/stats`)).json()) as { functions: FnStats[] }));
    const shared = stats.map((s) => s.functions.find((f) => f.name === sharedFn)!);
    for (const f of shared) {
      assert.equal(f.invocations, 1);
      assert.equal(f.instances, 1);
      assert.deepEqual(f.sharedBy, [...names, 'v1-again']);
    }
    assert.equal(shared.reduce((s, f) => s + f.coldStarts, 0), 1, JSON.stringify(shared));
    assert.equal(shared.reduce((s, f) => s + Object.values(f.starts).reduce((a, b) => a + b, 0), 0), 1);
    // Own functions are not shared.
    for (const s of stats) for (const f of s.functions.filter((x) => x.name !== sharedFn)) assert.equal(f.sharedBy, undefined);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const gauge = metrics.split('\n').filter((l) => l.startsWith('mopar_function_instances{') && l.includes(`function="${sharedFn}"`));
    assert.equal(gauge.length, 1, `the shared pool's instances listed once: ${gauge.join(' | ')}`);
    for (const m of gw.models.values()) for (const p of m.pools.values()) for (const i of p.instances) if (i.pid) pids.push(i.pid);
  } finally {
    await gw.close();
    cleanup(dir);
  }
  assert.ok(pids.length > 0);
  const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
  assert.deepEqual(alive, [], 'no host process outlives close');
});
