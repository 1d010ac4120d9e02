/** `mopar serve` / `mopar invoke` as a user runs them, SIGTERM cleanup, and a bounded loopback load test. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync, writeFileSync } from 'node:fs';
import { runCli, startServe, hostsOf } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeToyManifest } from './helpers.js';
import { SHM_DIR } from '../../src/runtime/index.js';

const dir = tmpDir('cli');
after(() => cleanup(dir));


type AutocannonResult = { errors: number; timeouts: number; non2xx: number; requests: { total: number; average: number }; latency: { p50: number; p99: number } };
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<AutocannonResult>;

test('serve + invoke + load test; SIGTERM stops every instance and leaves no segments', async () => {
  const toy = await writeToyManifest(dir, (t) => (t === 'x' ? 'inline' : 'shm'));
  const serve = await startServe([toy.dir, toy.model, '--port', '0'], 60_000);
  const base = serve.base;
  try {
    const inv = await runCli(['invoke', base, '--model', 'toy', '--random', '--json']);
    assert.equal(inv.code, 0, inv.stderr);
    const doc = JSON.parse(inv.stdout);
    assert.equal(doc.outputs.length, 1);
    assert.deepEqual(doc.outputs[0].shape, [1, 8]);
    const unsplit = JSON.parse((await runCli(['invoke', base, '--model', 'toy-unsplit', '--json'])).stdout);
    doc.outputs[0].data.forEach((v: number, i: number) => assert.ok(Math.abs(v - unsplit.outputs[0].data[i]) <= 1e-4 * Math.max(1, Math.abs(v))));

    // --input: a KServe v2 JSON request body from a file.
    const reqFile = `${dir}/req.json`;
    writeFileSync(reqFile, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0.5) }] }));
    const fromFile = await runCli(['invoke', base, '--model', 'toy', '--input', reqFile, '--json']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(JSON.parse(fromFile.stdout).outputs[0].data.length, 8);

    const bad = await runCli(['invoke', base, '--model', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^mopar: error: .*HTTP 404: unknown model 'nope'/m);

    // Bounded load: 50 connections for 3 s against the 4-function chain (shared-memory hand-offs).
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0.25) }] });
    const r = await autocannon({ url: `${base}/v2/models/toy/infer`, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 50, duration: 3 });
    assert.equal(r.errors, 0);
    assert.equal(r.timeouts, 0);
    assert.equal(r.non2xx, 0);
    assert.ok(r.requests.total > 0);
    process.stderr.write(`# load: ${r.requests.total} requests in 3 s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, 0 errors\n`);
  } finally {
    const hosts = hostsOf(serve.proc.pid!);
    const code = await serve.stop();
    assert.equal(code, 0, serve.stderr());
    assert.ok(hosts.length >= 5 && hosts.length <= 20, `expected host processes, saw ${hosts}`);
    for (const pid of hosts) assert.throws(() => process.kill(pid, 0), /ESRCH/, `host ${pid} survived SIGTERM`);
    assert.deepEqual(readdirSync(SHM_DIR).filter((f) => f.startsWith(`mopar-${serve.proc.pid}-`)), []);
  }
});

test('serve: a missing directory is one clear error', async () => {
  const r = await runCli(['serve', `${dir}/nothing-here`, '--port', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^mopar: error: .*nothing-here: no such file or directory\n$/);
});
