/**
 * `mopar deploy` of a fleet (issue 30): the function the models share is written once (one folder, one stack /
 * Knative entry, one image) and every model's entry routes to it; each entry, run through the local OpenFaaS
 * stand-in, answers as its own unsplit model. Lambda refuses a fleet, naming what it does not support.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { sha256 } from '../../src/core/index.js';
import { allclose, openSession, runSession, saveModel } from '../../src/graph/index.js';
import { partitionFleet } from '../../src/partition/index.js';
import { deploy } from '../../src/deploy/index.js';
import { infer, randomFeeds, modelMetadata } from '../../src/runtime/index.js';
import { buildZooModel, modelVariant } from '../../src/zoo/index.js';
import { cleanup, linkOrt, tmpDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';

type Fn = { handler: string; environment: Record<string, string> };

test('deploy of a 3-model fleet: the shared function once, an entry per model routing to it; answers as each unsplit model; lambda refuses', async () => {
  const d = tmpDir('fleet-deploy');
  const saved = { ...process.env };
  let gw: Awaited<ReturnType<typeof startFaasGateway>> | undefined;
  try {
    const base = buildZooModel('resnet50', { tiny: true });
    const paths = [0, 1, 2].map((v) => {
      const p = join(d, `v${v}.onnx`);
      saveModel(modelVariant(base, v), p);
      return p;
    });
    const built = join(d, 'fleet.parts');
    const { fleet, manifests } = await partitionFleet(paths, built, { profiling: { runs: 1, cpuScaling: false, measureRss: false }, plan: { platform: 'gcp-cloud-run' }, layout: 'prefix' });
    const sharedFile = fleet.shared.find((s) => s.models.length === 3)!.file;
    const sharedSha = manifests[0]!.functions.find((f) => f.file === sharedFile)!.sha256;
    const own = manifests.reduce((n, m) => n + m.functions.filter((f) => f.file !== sharedFile).length, 0);

    await assert.rejects(deploy(built, join(d, 'lambda'), { target: 'lambda' }), /fleet.*--target lambda does not deploy fleets/);

    const out = join(d, 'of');
    const res = await deploy(built, out, { target: 'openfaas', registry: 'reg.example/t' });
    const stack = parse(readFileSync(res.main, 'utf8')) as { functions: Record<string, Fn> };
    // The shared slice once, each model's own slices, one entry per model.
    assert.equal(Object.keys(stack.functions).length, 1 + own + 3, Object.keys(stack.functions).join(' '));
    const slices = readdirSync(join(out, 'functions')).filter((f) => !['v0', 'v1', 'v2'].includes(f));
    const holding = slices.filter((f) => sha256(readFileSync(join(out, 'functions', f, 'model.onnx'))) === sharedSha);
    assert.deepEqual(holding, ['fleet-shared-s00'], 'one folder holds the shared slice');
    for (const v of ['v0', 'v1', 'v2']) {
      const pipeline = JSON.parse(readFileSync(join(out, 'functions', v, 'pipeline.json'), 'utf8')) as { model: string; functions: Array<{ name: string; urlEnv: string }> };
      assert.equal(pipeline.model, v);
      const hop = pipeline.functions.find((f) => f.name.startsWith('shared.'))!;
      assert.equal(stack.functions[v]!.environment[hop.urlEnv], 'http://gateway.openfaas:8080/function/fleet-shared-s00', `${v} routes to the shared function`);
    }

    // Every entry through the OpenFaaS stand-in: each variant answers as its own unsplit model.
    linkOrt(out);
    gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)])));
    for (const v of ['v0', 'v1', 'v2']) for (const [k, val] of Object.entries(stack.functions[v]!.environment)) process.env[k] = val.replace('http://gateway.openfaas:8080', gw.url);
    const meta = await modelMetadata(`${gw.url}/function/v0`, 'v0');
    const feeds = randomFeeds(meta, 5);
    for (const [v, p] of paths.entries()) {
      const got = await infer(`${gw.url}/function/v${v}`, `v${v}`, feeds);
      const s = await openSession(p);
      const want = await runSession(s, feeds);
      await s.release();
      for (const [name, t] of Object.entries(want)) assert.ok(allclose(got.outputs[name], t).ok, `v${v} ${name}`);
    }

    // Knative: one Service per distinct function, the shared one once; every gateway's URL for it is that Service's.
    const kn = await deploy(built, join(d, 'kn'), { target: 'knative', registry: 'reg.example/t' });
    const services = parseAllDocuments(readFileSync(kn.main, 'utf8')).map((x) => x.toJS() as { metadata: { name: string }; spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } } });
    const names = services.map((s) => s.metadata.name);
    assert.equal(names.length, 1 + own + 3);
    assert.equal(new Set(names).size, names.length);
    assert.equal(names.filter((n) => n === 'fleet-shared-s00').length, 1);
    for (const v of ['v0', 'v1', 'v2']) {
      const env = services.find((s) => s.metadata.name === v)!.spec.template.spec.containers[0]!.env ?? [];
      assert.ok(env.some((e) => e.value === 'http://fleet-shared-s00.default.svc.cluster.local'), `${v}'s gateway calls the shared Service`);
    }
    const images = readFileSync(join(d, 'kn', 'build-images.sh'), 'utf8').split('\n').filter((l) => l.startsWith('reg.example/'));
    assert.equal(images.length, names.length, 'one image per Service');
  } finally {
    await gw?.close();
    process.env = saved;
    cleanup(d);
  }
});

test('deploy of a switch fleet: one function for every model, each entry feeding its selector; answers as each unsplit model', async () => {
  const d = tmpDir('fleet-switch-deploy');
  const saved = { ...process.env };
  let gw: Awaited<ReturnType<typeof startFaasGateway>> | undefined;
  try {
    const base = buildZooModel('resnet50', { tiny: true });
    const paths = [0, 1, 2].map((v) => {
      const p = join(d, `v${v}.onnx`);
      saveModel(modelVariant(base, v), p);
      return p;
    });
    const built = join(d, 'fleet.parts');
    const { fleet } = await partitionFleet(paths, built, { profiling: { runs: 1, cpuScaling: false, measureRss: false }, plan: { platform: 'gcp-cloud-run' } });
    assert.equal(fleet.layout, 'switch');
    const out = join(d, 'of');
    const res = await deploy(built, out, { target: 'openfaas', registry: 'reg.example/t' });
    const stack = parse(readFileSync(res.main, 'utf8')) as { functions: Record<string, Fn> };
    const slices = Object.keys(stack.functions).filter((n) => !['v0', 'v1', 'v2'].includes(n));
    assert.equal(slices.length, 1, `one function holds every model: ${Object.keys(stack.functions).join(' ')}`);
    for (const v of ['v0', 'v1', 'v2']) {
      const pipeline = JSON.parse(readFileSync(join(out, 'functions', v, 'pipeline.json'), 'utf8')) as { constants?: Record<string, { data: number[] }> };
      assert.deepEqual(pipeline.constants?.['mopar.fleet.model']?.data, [Number(v.slice(1))], `${v}'s entry feeds its own selector`);
    }
    linkOrt(out);
    gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)])));
    for (const v of ['v0', 'v1', 'v2']) for (const [k, val] of Object.entries(stack.functions[v]!.environment)) process.env[k] = val.replace('http://gateway.openfaas:8080', gw.url);
    const meta = await modelMetadata(`${gw.url}/function/v0`, 'v0');
    assert.deepEqual(meta.inputs.map((i) => i.name), ['input'], 'the selector is not a client input');
    const feeds = randomFeeds(meta, 5);
    for (const [v, p] of paths.entries()) {
      const got = await infer(`${gw.url}/function/v${v}`, `v${v}`, feeds);
      const s = await openSession(p);
      const want = await runSession(s, feeds);
      await s.release();
      for (const [name, t] of Object.entries(want)) assert.ok(allclose(got.outputs[name], t).ok, `v${v} ${name}`);
    }
  } finally {
    await gw?.close();
    process.env = saved;
    cleanup(d);
  }
});
