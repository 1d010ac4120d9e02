/**
 * `mopar deploy --batching PLAN`: the artifacts of every target carry the plan's groups and the platform settings
 * that follow from them, and the deployed entry (run locally behind the OpenFaaS stand-in) batches concurrent
 * requests of two applications, each answered like the unsplit model.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { deploy } from '../../src/deploy/index.js';
import { GraphBuilder, openSession, runSession, type Feeds } from '../../src/graph/index.js';
import { binaryInferRequest, httpRequest, parseInferResponse } from '../../src/runtime/index.js';
import { cleanup, linkOrt, maxRelErr, tmpDir, writeBuiltDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';
import { builtDynamic, row, writePlan } from './batching-fixtures.js';
import { runCli } from '../cli/run-cli.js';

const d = tmpDir('batching');
after(() => cleanup(d));

test('deploy --batching: Knative, OpenFaaS and Lambda artifacts carry the plan\'s groups and the concurrency that follows; README says how it runs', async () => {
  const built = await builtDynamic(join(d, 'built'));
  const plan = writePlan(join(d, 'plan.json'), 'dyn');

  const kn = await deploy(built.dir, join(d, 'kn'), { target: 'knative', registry: 'reg.example', batching: plan });
  const docs = parseAllDocuments(readFileSync(kn.main, 'utf8')).map((doc) => doc.toJS() as any); // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const s of docs) new Service(s).validate();
  const gw = docs.find((s) => s.metadata.labels['mopar.dev/role'] === 'gateway');
  // Per group a batch forming and one running: 2 × (2 + 4).
  assert.equal(gw.spec.template.spec.containerConcurrency, 12);
  const ann = gw.spec.template.metadata.annotations;
  assert.equal(ann['autoscaling.knative.dev/metric'], 'concurrency');
  assert.equal(ann['autoscaling.knative.dev/target'], '6');
  assert.deepEqual(JSON.parse(ann['mopar.dev/batching']), [{ apps: ['a'], maxBatch: 2, timeoutMs: 5000 }, { apps: ['b', 'c'], maxBatch: 4, timeoutMs: 80 }]);
  for (const s of docs.filter((x) => x.metadata.labels['mopar.dev/role'] === 'slice')) assert.equal(s.spec.template.spec.containerConcurrency, 1);
  const pipeline = JSON.parse(readFileSync(join(d, 'kn', 'functions', gw.metadata.name, 'pipeline.json'), 'utf8'));
  assert.deepEqual(pipeline.batching.groups.map((g: { name: string; maxBatch: number; timeoutMs: number; apps: { name: string; sloMs: number }[] }) => [g.name, g.maxBatch, g.timeoutMs, g.apps]),
    [['a', 2, 5000, [{ name: 'a', sloMs: 20000 }]], ['b+c', 4, 80, [{ name: 'b', sloMs: 20000 }, { name: 'c', sloMs: 30000 }]]]);
  const knReadme = readFileSync(join(d, 'kn', 'README.md'), 'utf8');
  assert.match(knReadme, /## Batching/);
  assert.match(knReadme, /`b\+c` \(b, c; tightest SLO 20000 ms\): at most 4 requests per batch, dispatched after 80 ms/);
  assert.match(knReadme, /containerConcurrency 12/);
  assert.match(knReadme, /queue-proxy holds requests outside the container/);
  assert.ok(kn.warnings.some((w) => /batching group a: the plan sized 1 function\(s\) of up to 512 MB for batches of 2/.test(w)), kn.warnings.join('\n'));

  const of = await deploy(built.dir, join(d, 'of'), { target: 'openfaas', registry: 'reg.example', batching: plan });
  const stack = parse(readFileSync(of.main, 'utf8')) as { functions: Record<string, { environment: Record<string, string>; labels: Record<string, string> }> };
  assert.equal(stack.functions.dyn!.environment.max_inflight, '12');
  assert.equal(stack.functions.dyn!.labels['com.openfaas.scale.type'], 'capacity');
  assert.equal(stack.functions.dyn!.labels['com.openfaas.scale.target'], '6');
  for (const s of ['dyn-s0', 'dyn-s1']) assert.equal(stack.functions[s]!.environment.max_inflight, undefined, 'a slice runs what it is sent: 429s from a slice would fail batches');
  assert.match(readFileSync(join(d, 'of', 'README.md'), 'utf8'), /max_inflight 12/);
  assert.deepEqual(of.batching!.groups.map((g) => g.maxBatch), [2, 4]);
});

test('deploy --batching refuses a plan for another model, a plan without groups, a bad field and a model with a fixed batch dim, with clear errors', async () => {
  const built = await builtDynamic(join(d, 'built-err'));
  const other = writePlan(join(d, 'other.json'), 'resnet50');
  await assert.rejects(deploy(built.dir, join(d, 'e1'), { target: 'knative', batching: other }),
    /batching plan .*other\.json is for model 'resnet50', but the built directory holds 'dyn'/);
  const plain = join(d, 'plain.json');
  writeFileSync(plain, JSON.stringify({ kind: 'mopar.plan', model: 'dyn', functions: [] }));
  await assert.rejects(deploy(built.dir, join(d, 'e2'), { target: 'knative', batching: plain }), /has no batching groups \(make it with: mopar plan MODEL --apps FILE -o PLAN\)/);
  const bad = writePlan(join(d, 'bad.json'), 'dyn', [{ apps: ['a'], maxBatch: 0, timeoutMs: 10 }]);
  await assert.rejects(deploy(built.dir, join(d, 'e3'), { target: 'knative', batching: bad }), /batching plan .*bad\.json: groups\[0\]\.maxBatch must be >= 1/);

  const b = new GraphBuilder('fixed');
  const x = b.input('x', 'float32', [1, 4]);
  b.node('Relu', [x], {}, { name: 'r', outputNames: ['y'] });
  b.output('y', 'float32', [1, 4]);
  const fixed = await writeBuiltDir(b.model(17), join(d, 'built-fixed'), 1, 'fixed');
  await assert.rejects(deploy(fixed.dir, join(d, 'e4'), { target: 'openfaas', batching: writePlan(join(d, 'fixed.json'), 'fixed') }),
    /input 'x' of 'fixed' has a fixed leading dim 1, so requests cannot be batched/);

  const cli = await runCli(['deploy', built.dir, '--target', 'lambda', '-o', join(d, 'e5'), '--batching', other]);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /^mopar: error: batching plan .* is for model 'resnet50'/);
});

test('the deployed entry (OpenFaaS, run locally) batches concurrent requests of two applications; each answer equals the unsplit model\'s', async () => {
  const built = await builtDynamic(join(d, 'built-e2e'));
  // Long timeouts: the batches dispatch because they are full, whatever the machine's speed.
  const plan = writePlan(join(d, 'plan-e2e.json'), 'dyn', [{ apps: ['a'], maxBatch: 2, timeoutMs: 10000 }, { apps: ['b', 'c'], maxBatch: 2, timeoutMs: 10000 }]);
  const out = join(d, 'of-e2e');
  const res = await deploy(built.dir, out, { target: 'openfaas', batching: plan });
  linkOrt(out);
  const stack = parse(readFileSync(res.main, 'utf8')) as { functions: Record<string, { handler: string; environment: Record<string, string> }> };
  const urls = Object.entries(stack.functions.dyn!.environment).filter(([k]) => k.startsWith('MOPAR_URL_'));
  const gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)])));
  try {
    for (const [k, v] of urls) process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
    const s = await openSession(built.modelPath);
    const cases = [{ app: 'a', seed: 11 }, { app: 'b', seed: 12 }, { app: 'a', seed: 13 }, { app: 'c', seed: 14 }];
    const expected = await Promise.all(cases.map(async (c) => runSession(s, row(c.seed))));
    await s.release();
    const url = `${gw.url}/function/dyn/v2/models/dyn/infer`;
    const replies = await Promise.all(cases.map(async (c) => {
      const { body, headers } = binaryInferRequest(row(c.seed));
      return httpRequest(url, { method: 'POST', headers: { ...headers, 'x-mopar-app': c.app }, body });
    }));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, r.body.toString().slice(0, 300));
      assert.equal(r.headers['x-mopar-batch-size'], '2', `request ${i} ran in a batch of two`);
      const h = r.headers['inference-header-content-length'];
      const got: Feeds = Object.fromEntries(parseInferResponse(r.body, h === undefined ? undefined : Number(h)).outputs
        .map((o) => [o.name, { dtype: 'float32', dims: o.shape, data: Float32Array.from(o.data as ArrayLike<number>) }]));
      assert.ok(maxRelErr(got, expected[i]!) <= 1e-5, `request ${i}: max relative error ${maxRelErr(got, expected[i]!)}`);
    });
    // JSON body naming the app in parameters.app; an unknown app is a 400 with a clear message.
    const unknown = await httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parameters: { app: 'zzz' }, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: Array.from(row(1).x!.data as Float32Array) }] }) });
    assert.equal(unknown.status, 400);
    assert.match(JSON.parse(unknown.body.toString()).error, /unknown application 'zzz' for model 'dyn' \(known: a, b, c\)/);
    const metrics = (await httpRequest(`${gw.url}/function/dyn/metrics`)).body.toString();
    assert.match(metrics, /mopar_batch_size_count\{model="dyn",group="a"\} 1/);
    assert.match(metrics, /mopar_batch_size_count\{model="dyn",group="b\+c"\} 1/);
    assert.match(metrics, /mopar_app_requests_total\{model="dyn",app="a"\} 2/);
  } finally {
    for (const [k] of urls) delete process.env[k];
    await gw.close();
  }
});
