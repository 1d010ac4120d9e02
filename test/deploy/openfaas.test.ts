import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse } from 'yaml';
import { deploy } from '../../src/deploy/index.js';
import { httpRequest, infer, modelMetadata } from '../../src/runtime/index.js';
import { getPlatform } from '../../src/plan/index.js';
import { LEAN_MALLOC_ENV } from '../../src/core/index.js';
import {
  assertMallocEnvBeforeCmd, cleanup, invokeOutputs, linkOrt, maxRelErr, readmeCommands, reference, referenceForRequest, runReadmeLine, tmpDir, writeBranchyDir,
} from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';

type Fn = { lang: string; handler: string; image: string; environment: Record<string, string>; limits: Record<string, string>; requests: Record<string, string>; labels: Record<string, string>; readonly_root_filesystem: boolean };

test('stack.yml: one function per slice with limits, requests, scaling labels, read-only root fs and content-hash tags, plus the entry', async () => {
  const d = tmpDir('of-stack');
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    const out = join(d, 'of');
    const res = await deploy(built.dir, out, { target: 'openfaas', minScale: 0, maxScale: 5, registry: 'reg.example/team' });
    const stackText = readFileSync(res.main, 'utf8');
    assert.doesNotMatch(stackText, /[&*]a\d/, 'no YAML anchors');
    const stack = parse(stackText) as { version: string; provider: { name: string; gateway: string }; functions: Record<string, Fn> };
    assert.equal(stack.version, '1.0');
    assert.equal(stack.provider.name, 'openfaas');
    assert.equal(Object.keys(stack.functions).length, built.manifest.functions.length + 1);
    const tags = new Set<string>();
    for (const mf of built.manifest.functions) {
      const f = stack.functions[`branchy-${mf.name}`]!;
      assert.ok(f, mf.name);
      assert.equal(f.lang, 'mopar-node20');
      assert.deepEqual(f.limits, { memory: '256Mi', cpu: '500m' });
      assert.deepEqual(f.requests, f.limits);
      assert.deepEqual(f.labels, { 'com.openfaas.scale.min': '0', 'com.openfaas.scale.max': '5', 'mopar.dev/group': mf.group });
      assert.equal(f.readonly_root_filesystem, true);
      assert.match(f.image, new RegExp(`^reg\\.example/team/branchy-${mf.name}:[0-9a-f]{12}$`));
      tags.add(f.image.split(':')[1]!);
      assert.equal(f.environment.RAW_BODY, 'true');
      assert.deepEqual(Object.keys(f.environment).filter((k) => k.startsWith('MOPAR_')), [], 'no environment nobody reads');
      for (const file of ['handler.js', 'package.json', 'model.onnx', 'function.json', 'mopar-runtime.js']) assert.ok(existsSync(join(out, f.handler, file)), file);
      const pkg = JSON.parse(readFileSync(join(out, f.handler, 'package.json'), 'utf8'));
      assert.equal(pkg.dependencies['onnxruntime-node'], '1.30.0');
      assert.ok(pkg.scripts.test, 'the template build runs npm test');
    }
    assert.equal(tags.size, built.manifest.functions.length, 'different folders, different tags');
    const entry = stack.functions.branchy!;
    // The entry is deployed at the size the planner prices it (issue 27: plan/platforms.ts orchestration.entry).
    const entrySize = getPlatform('openfaas').orchestration.entry;
    assert.deepEqual(entry.limits, { memory: `${entrySize.memoryMB}Mi`, cpu: `${Math.round(entrySize.vcpu * 1000)}m` });
    assert.deepEqual(entry.requests, entry.limits);
    assert.deepEqual(res.functions.filter((f) => f.function === '$entry').map((f) => [f.memoryMB, f.vcpu]), [[entrySize.memoryMB, entrySize.vcpu]]);
    const hops = Object.entries(entry.environment).filter(([k]) => k.startsWith('MOPAR_URL_'));
    assert.equal(hops.length, 5);
    for (const [, url] of hops) assert.match(url, /^http:\/\/gateway\.openfaas:8080\/function\/branchy-/);
    // The entry runs no model: no onnxruntime-node in its package, none required by its runtime module.
    const entryPkg = JSON.parse(readFileSync(join(out, entry.handler, 'package.json'), 'utf8'));
    assert.deepEqual(entryPkg.dependencies, {});
    assert.doesNotMatch(readFileSync(join(out, entry.handler, 'mopar-runtime.js'), 'utf8'), /require\("onnxruntime-node"\)/);
    const tpl = parse(readFileSync(join(out, 'template', 'mopar-node20', 'template.yml'), 'utf8'));
    assert.equal(tpl.language, 'mopar-node20');
    const df = readFileSync(join(out, 'template', 'mopar-node20', 'Dockerfile'), 'utf8');
    assert.match(df, /FROM .*node:20-bookworm-slim/);
    assert.doesNotMatch(df, /chmod 777/);
    assert.match(df, /^USER node$/m);
    assert.match(df, /^RUN ONNXRUNTIME_NODE_INSTALL=skip npm install /m, 'no GPU download');
    // fwatchdog's node process loads the model: the local hosts' glibc malloc settings (core/malloc.ts).
    assertMallocEnvBeforeCmd(df, LEAN_MALLOC_ENV);
    assert.ok(res.functions.every((f) => f.packageBytes! > 0));
    assert.deepEqual(res.warnings, []);

    // Same input, same tags; a redeploy over it needs --force and leaves no stale folder behind.
    await assert.rejects(deploy(built.dir, out, { target: 'openfaas', registry: 'reg.example/team' }), /not empty/);
    const again = await deploy(built.dir, out, { target: 'openfaas', minScale: 0, maxScale: 5, registry: 'reg.example/team', force: true });
    const stack2 = parse(readFileSync(again.main, 'utf8')) as { functions: Record<string, Fn> };
    for (const [n, f] of Object.entries(stack.functions)) assert.equal(stack2.functions[n]!.image, f.image, n);
  } finally {
    cleanup(d);
  }
});

test('registry: MOPAR_REGISTRY when no --registry, else localhost:5000 with a warning', async () => {
  const d = tmpDir('of-reg');
  const saved = process.env.MOPAR_REGISTRY;
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    process.env.MOPAR_REGISTRY = 'env.example/x';
    const a = await deploy(built.dir, join(d, 'a'), { target: 'openfaas' });
    assert.match(readFileSync(a.main, 'utf8'), /image: env\.example\/x\/branchy-head:[0-9a-f]{12}/);
    assert.deepEqual(a.warnings, []);
    delete process.env.MOPAR_REGISTRY;
    const b = await deploy(built.dir, join(d, 'b'), { target: 'openfaas' });
    assert.match(readFileSync(b.main, 'utf8'), /image: localhost:5000\/branchy-head:/);
    assert.match(b.warnings.join('\n'), /no --registry/);
  } finally {
    if (saved === undefined) delete process.env.MOPAR_REGISTRY; else process.env.MOPAR_REGISTRY = saved;
    cleanup(d);
  }
});

test('OpenFaaS end to end: the entry serves the Open Inference Protocol through a gateway, the README call included', async () => {
  const d = tmpDir('of-chain');
  const saved = { ...process.env };
  let gw: Awaited<ReturnType<typeof startFaasGateway>> | undefined;
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    const out = join(d, 'of');
    await deploy(built.dir, out, { target: 'openfaas' });
    linkOrt(out);
    const stack = parse(readFileSync(join(out, 'stack.yml'), 'utf8')) as { functions: Record<string, Fn> };
    const dirs = Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)]));
    gw = await startFaasGateway(dirs);
    // The entry's environment as generated, with the in-cluster gateway address pointed at the local one.
    for (const [k, v] of Object.entries(stack.functions.branchy!.environment)) process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
    const base = `${gw.url}/function/branchy`;

    for (const p of ['/v2/health/live', '/v2/health/ready', '/v2/models/branchy/ready']) assert.equal((await httpRequest(`${base}${p}`)).status, 200, p);
    const meta = await modelMetadata(base, 'branchy');
    assert.deepEqual(meta.inputs, [{ name: 'x', datatype: 'FP32', shape: [1, 16] }]);
    assert.deepEqual(meta.outputs, [{ name: 'y', datatype: 'FP32', shape: [1, 8] }]);

    const { feeds, expected } = await reference(built);
    const bin = await infer(base, 'branchy', feeds);
    assert.ok(maxRelErr(bin.outputs, expected) <= 1e-4, 'binary extension');
    const json = await httpRequest(`${base}/v2/models/branchy/infer`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: Array.from(feeds.x!.data as Float32Array) }] }) });
    assert.equal(json.status, 200, json.body.toString());
    const out1 = JSON.parse(json.body.toString()) as { model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] };
    assert.equal(out1.model_name, 'branchy');
    assert.ok(maxRelErr({ y: { dtype: 'float32', dims: out1.outputs[0]!.shape, data: Float32Array.from(out1.outputs[0]!.data) } }, expected) <= 1e-4, 'JSON');

    const metrics = await httpRequest(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body.toString(), /mopar_requests_total\{model="branchy",code="200"\} 2/);

    const bad = await httpRequest(`${base}/v2/models/branchy/infer`, { method: 'POST', body: '{"inputs": []}' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).error, /missing input 'x'/);
    assert.equal((await httpRequest(`${base}/v2/models/other`)).status, 404);

    // Each slice is an Open Inference Protocol server too, for its own part of the model.
    assert.deepEqual((await modelMetadata(`${gw.url}/function/branchy-pa`, 'pa')).outputs.map((o) => o.name), built.manifest.functions[1]!.outputs);

    // The README's call, run as written (OPENFAAS_URL pointed at the local gateway).
    const call = readmeCommands(out).at(-1)!;
    assert.match(call, /^mopar invoke /);
    const r = await runReadmeLine(out, call, { OPENFAAS_URL: gw.url });
    assert.equal(r.code, 0, r.stderr);
    const want = await referenceForRequest(built, join(out, 'request.json'));
    assert.ok(maxRelErr(invokeOutputs(r.stdout), want) <= 1e-4, 'README call');
  } finally {
    await gw?.close();
    process.env = saved;
    cleanup(d);
  }
});

test('the generated mopar-node20 template serves a function on http_port (as of-watchdog expects)', async () => {
  const d = tmpDir('of-tpl');
  const built = await writeBranchyDir(join(d, 'built'));
  const out = join(d, 'of');
  await deploy(built.dir, out, { target: 'openfaas' });
  linkOrt(out);
  // The image layout: /home/node/app/index.js and /home/node/app/function/<the function folder>.
  const app = join(out, 'app');
  mkdirSync(app);
  copyFileSync(join(out, 'template', 'mopar-node20', 'index.js'), join(app, 'index.js'));
  symlinkSync(join(out, 'functions', 'branchy-head'), join(app, 'function'), 'dir');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(app, 'index.js')], { env: { ...process.env, http_port: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('template did not start')), 20_000);
      child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('listening')) { clearTimeout(t); resolve(); } });
      let err = '';
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      child.on('exit', (c) => { clearTimeout(t); reject(new Error(`template exited ${c}: ${err}`)); });
    });
    const { feeds } = await reference(built);
    const r = await infer(`http://127.0.0.1:${port}`, 'head', { x: feeds.x! });
    assert.deepEqual(Object.keys(r.outputs), built.manifest.functions[0]!.outputs);
    assert.equal((await httpRequest(`http://127.0.0.1:${port}/v2/health/ready`)).status, 200);
  } finally {
    child.kill();
    cleanup(d);
  }
});
