import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { deploy } from '../../src/deploy/index.js';
import { httpRequest, infer } from '../../src/runtime/index.js';
import { getPlatform } from '../../src/plan/index.js';
import { LEAN_MALLOC_ENV } from '../../src/core/index.js';
import {
  assertMallocEnvBeforeCmd, cleanup, invokeOutputs, linkOrt, maxRelErr, readmeCommands, reference, referenceForRequest, runReadmeLine, tmpDir, writeBranchyDir,
} from './helpers.js';

type Container = {
  name: string; image: string; env?: { name: string; value: string }[]; resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>; readinessProbe: { httpGet: { path: string } };
};
type KService = {
  apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containerConcurrency: number; timeoutSeconds: number; containers: Container[]; volumes?: unknown[] } } };
};

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server for ${url} exited ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

test('Knative: Services that pass the Knative schema, non-root and read-only, content-hash images; the servers answer KServe v2 like the unsplit model', async () => {
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
    const build = readFileSync(join(out, 'build-images.sh'), 'utf8');
    for (const s of docs) {
      // The Knative Service schema (serving.knative.dev/v1, with the Kubernetes core types it embeds).
      new Service(s as never).validate();
      assert.equal(s.metadata.namespace, 'ml');
      assert.match(s.metadata.name, /^[a-z][a-z0-9-]{0,62}$/);
      const c = s.spec.template.spec.containers[0]!;
      assert.match(c.image, new RegExp(`^reg\\.example/mopar/${s.metadata.name}:[0-9a-f]{12}$`));
      assert.ok(build.includes(`${c.image} functions/${s.metadata.name}\n`), 'build-images.sh builds exactly this image');
      assert.deepEqual(c.resources.requests, c.resources.limits);
      assert.deepEqual(c.securityContext, {
        runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      assert.equal(s.spec.template.spec.volumes, undefined, 'nothing writable: no function writes to disk');
      assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
      assert.equal(s.spec.template.metadata.annotations['autoscaling.knative.dev/max-scale'], '20');
      const df = readFileSync(join(out, 'functions', s.metadata.name, 'Dockerfile'), 'utf8');
      assert.match(df, /^USER 1000$/m);
      if (s.metadata.labels['mopar.dev/role'] === 'slice') {
        assert.match(df, /^RUN ONNXRUNTIME_NODE_INSTALL=skip npm install /m);
        // The slice server loads a model: the local hosts' glibc malloc settings (core/malloc.ts).
        assertMallocEnvBeforeCmd(df, LEAN_MALLOC_ENV);
      } else assert.doesNotMatch(df, /npm install/, 'the gateway has no dependencies to install');
    }
    assert.equal(build.match(/^reg\.example/gm)!.length, docs.length, 'no other image is built');
    const slices = docs.filter((s) => s.metadata.labels['mopar.dev/role'] === 'slice');
    assert.equal(slices.length, 5);
    for (const s of slices) {
      assert.equal(s.spec.template.spec.containerConcurrency, 1);
      assert.deepEqual(s.spec.template.spec.containers[0]!.resources.limits, { cpu: '500m', memory: '256Mi' });
      assert.equal(s.spec.template.spec.containers[0]!.env, undefined, 'no environment nobody reads');
    }
    const gateway = docs.find((s) => s.metadata.labels['mopar.dev/role'] === 'gateway')!;
    // The gateway is deployed at the size the planner prices the entry (issue 27: the openfaas record's, Kubernetes).
    const entrySize = getPlatform('openfaas').orchestration.entry;
    assert.deepEqual(gateway.spec.template.spec.containers[0]!.resources.limits, { cpu: `${Math.round(entrySize.vcpu * 1000)}m`, memory: `${entrySize.memoryMB}Mi` });
    assert.deepEqual(res.functions.filter((f) => f.function === '$entry').map((f) => [f.memoryMB, f.vcpu]), [[entrySize.memoryMB, entrySize.vcpu]]);
    const urls = gateway.spec.template.spec.containers[0]!.env!;
    assert.equal(urls.length, 5);
    for (const u of urls) assert.match(u.value, /^http:\/\/branchy-[a-z]+\.ml\.svc\.cluster\.local$/);

    // Every container's command (node server.js on $PORT), as a plain process; cluster DNS becomes 127.0.0.1 ports.
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
    await Promise.all(children.map((c, i) => waitUp(`http://127.0.0.1:${base + i}/v2/health/ready`, c)));
    const url = `http://127.0.0.1:${gport}`;

    const { feeds, expected } = await reference(built);
    const r = await infer(url, 'branchy', feeds);
    const err = maxRelErr(r.outputs, expected);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
    assert.match((await httpRequest(`${url}/metrics`)).body.toString(), /mopar_requests_total\{model="branchy",code="200"\} 1/);
    const big = await httpRequest(`${url}/v2/models/branchy/infer`, { method: 'POST', headers: { 'content-length': String(2 ** 30) } });
    assert.equal(big.status, 413);

    const call = readmeCommands(out).at(-1)!;
    assert.match(call, /^mopar invoke "\$KNATIVE_URL" /);
    const cli = await runReadmeLine(out, call, { KNATIVE_URL: url });
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(maxRelErr(invokeOutputs(cli.stdout), await referenceForRequest(built, join(out, 'request.json'))) <= 1e-4, 'README call');
  } finally {
    for (const c of children) c.kill();
    cleanup(d);
  }
});
