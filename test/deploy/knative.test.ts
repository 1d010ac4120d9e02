import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { deploy } from '../../src/deploy/index.js';
import { BINARY_TYPE, decodeBinary, encodeBinary } from '../../src/deploy/function-runtime/wire.js';
import { cleanup, linkOrt, maxRelErr, reference, tmpDir, writeBranchyDir } from './helpers.js';

type KService = {
  apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containerConcurrency: number; timeoutSeconds: number;
    containers: { image: string; env: { name: string; value: string }[]; resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } } };
};

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server for ${url} exited ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

test('Knative: a Service per slice plus the gateway; the servers chain to the unsplit output over HTTP', async () => {
  const d = tmpDir('kn');
  const children: ChildProcess[] = [];
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    const out = join(d, 'kn');
    const res = await deploy(built.dir, out, { target: 'knative', namespace: 'ml', registry: 'reg.example/mopar' });
    const docs = parseAllDocuments(readFileSync(res.main, 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, []);
      return doc.toJS() as KService;
    });
    assert.equal(docs.length, built.manifest.functions.length + 1);
    for (const s of docs) {
      assert.equal(s.apiVersion, 'serving.knative.dev/v1');
      assert.equal(s.kind, 'Service');
      assert.equal(s.metadata.namespace, 'ml');
      assert.match(s.metadata.name, /^[a-z][a-z0-9-]{0,62}$/);
      const c = s.spec.template.spec.containers[0]!;
      assert.equal(c.image, `reg.example/mopar/${s.metadata.name}:latest`);
      assert.deepEqual(c.resources.requests, c.resources.limits);
      assert.equal(s.spec.template.metadata.annotations['autoscaling.knative.dev/max-scale'], '20');
    }
    const slices = docs.filter((s) => s.metadata.labels['mopar.dev/role'] === 'slice');
    assert.equal(slices.length, 5);
    for (const s of slices) {
      assert.equal(s.spec.template.spec.containerConcurrency, 1);
      assert.deepEqual(s.spec.template.spec.containers[0]!.resources.limits, { cpu: '500m', memory: '256Mi' });
    }
    const gateway = docs.find((s) => s.metadata.labels['mopar.dev/role'] === 'gateway')!;
    const urls = gateway.spec.template.spec.containers[0]!.env.filter((e) => e.name.startsWith('MOPAR_URL_'));
    assert.equal(urls.length, 5);
    for (const u of urls) assert.match(u.value, /^http:\/\/branchy-[a-z]+\.ml\.svc\.cluster\.local$/);

    // Run every container's command (node server.js on $PORT) locally; cluster DNS becomes 127.0.0.1 ports.
    linkOrt(out);
    const base = 21000 + Math.floor(Math.random() * 20000);
    const env: Record<string, string> = {};
    slices.forEach((s, i) => {
      const port = base + i;
      children.push(spawn(process.execPath, [join(out, 'functions', s.metadata.name, 'server.js')], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' }));
      env[urls.find((u) => u.value.startsWith(`http://${s.metadata.name}.`))!.name] = `http://127.0.0.1:${port}`;
    });
    const gport = base + slices.length;
    children.push(spawn(process.execPath, [join(out, 'functions', gateway.metadata.name, 'server.js')], { env: { ...process.env, ...env, PORT: String(gport) }, stdio: 'ignore' }));
    await Promise.all(children.map((c, i) => waitUp(`http://127.0.0.1:${base + i}/`, c)));

    const { feeds, expected } = await reference(built);
    const r = await fetch(`http://127.0.0.1:${gport}/`, { method: 'POST', headers: { 'content-type': BINARY_TYPE }, body: new Uint8Array(encodeBinary(feeds)) });
    assert.equal(r.status, 200, await r.clone().text());
    const err = maxRelErr(decodeBinary(new Uint8Array(await r.arrayBuffer())), expected);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  } finally {
    for (const c of children) c.kill();
    cleanup(d);
  }
});
