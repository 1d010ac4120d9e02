import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse } from 'yaml';
import { deploy } from '../../src/deploy/index.js';
import { BINARY_TYPE, decodeBinary, decodeBody, encodeBinary, encodeJson } from '../../src/deploy/function-runtime/wire.js';
import { cleanup, linkOrt, maxRelErr, reference, tmpDir, writeBranchyDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';

type Fn = { lang: string; handler: string; image: string; environment: Record<string, string>; limits: Record<string, string>; requests: Record<string, string>; labels: Record<string, string> };

test('stack.yml: one function per slice with limits, requests, scaling labels and next hops, plus the entry', async () => {
  const d = tmpDir('of-stack');
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    const out = join(d, 'of');
    const res = await deploy(built.dir, out, { target: 'openfaas', minScale: 0, maxScale: 5 });
    const stackText = readFileSync(res.main, 'utf8');
    assert.doesNotMatch(stackText, /[&*]a\d/, 'no YAML anchors');
    const stack = parse(stackText) as { version: string; provider: { name: string; gateway: string }; functions: Record<string, Fn> };
    assert.equal(stack.version, '1.0');
    assert.equal(stack.provider.name, 'openfaas');
    assert.equal(Object.keys(stack.functions).length, built.manifest.functions.length + 1);
    for (const mf of built.manifest.functions) {
      const f = stack.functions[`branchy-${mf.name}`]!;
      assert.ok(f, mf.name);
      assert.equal(f.lang, 'mopar-node20');
      assert.deepEqual(f.limits, { memory: '256Mi', cpu: '500m' });
      assert.deepEqual(f.requests, f.limits);
      assert.deepEqual(f.labels, { 'com.openfaas.scale.min': '0', 'com.openfaas.scale.max': '5' });
      assert.equal(f.environment.RAW_BODY, 'true');
      for (const file of ['handler.js', 'package.json', 'model.onnx', 'function.json', 'mopar-runtime.js']) assert.ok(existsSync(join(out, f.handler, file)), file);
      const pkg = JSON.parse(readFileSync(join(out, f.handler, 'package.json'), 'utf8'));
      assert.equal(pkg.dependencies['onnxruntime-node'], '1.30.0');
      assert.ok(pkg.scripts.test, 'the template build runs npm test');
    }
    assert.equal(stack.functions['branchy-head']!.environment.MOPAR_NEXT_HOPS, 'branchy-pa,branchy-pb,branchy-pc');
    const entry = stack.functions.branchy!;
    const hops = Object.entries(entry.environment).filter(([k]) => k.startsWith('MOPAR_URL_'));
    assert.equal(hops.length, 5);
    for (const [, url] of hops) assert.match(url, /^http:\/\/gateway\.openfaas:8080\/function\/branchy-/);
    // The entry runs no model: no onnxruntime-node in its package, none required by its runtime module.
    const entryPkg = JSON.parse(readFileSync(join(out, entry.handler, 'package.json'), 'utf8'));
    assert.deepEqual(entryPkg.dependencies, {});
    assert.doesNotMatch(readFileSync(join(out, entry.handler, 'mopar-runtime.js'), 'utf8'), /require\("onnxruntime-node"\)/);
    const tpl = parse(readFileSync(join(out, 'template', 'mopar-node20', 'template.yml'), 'utf8'));
    assert.equal(tpl.language, 'mopar-node20');
    assert.match(readFileSync(join(out, 'template', 'mopar-node20', 'Dockerfile'), 'utf8'), /FROM .*node:20-bookworm-slim/);
  } finally {
    cleanup(d);
  }
});

test('the entry chains the slice handlers through a gateway (node20 contract) to the unsplit output', async () => {
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
    const { feeds, expected } = await reference(built);

    // The entry's environment as generated, with the in-cluster gateway address pointed at the local one.
    for (const [k, v] of Object.entries(stack.functions.branchy!.environment)) process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
    const bin = await fetch(`${gw.url}/function/branchy`, { method: 'POST', headers: { 'content-type': BINARY_TYPE }, body: new Uint8Array(encodeBinary(feeds)) });
    assert.equal(bin.status, 200, await bin.clone().text());
    assert.equal(bin.headers.get('content-type'), BINARY_TYPE);
    assert.ok(maxRelErr(decodeBinary(new Uint8Array(await bin.arrayBuffer())), expected) <= 1e-4);

    const json = await fetch(`${gw.url}/function/branchy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encodeJson(feeds)) });
    assert.equal(json.status, 200);
    assert.ok(maxRelErr(decodeBody(await json.text()), expected) <= 1e-4);

    const bad = await fetch(`${gw.url}/function/branchy-head`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tensors": {}}' });
    assert.equal(bad.status, 400);
    assert.match((await bad.json() as { error: string }).error, /needs input tensor 'x'/);
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
    const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': BINARY_TYPE }, body: new Uint8Array(encodeBinary(feeds)) });
    assert.equal(r.status, 200);
    const out1 = decodeBinary(new Uint8Array(await r.arrayBuffer()));
    assert.deepEqual(Object.keys(out1), built.manifest.functions[0]!.outputs);
    const info = await (await fetch(`http://127.0.0.1:${port}/`)).json() as { name: string };
    assert.equal(info.name, 'head');
  } finally {
    child.kill();
    cleanup(d);
  }
});
