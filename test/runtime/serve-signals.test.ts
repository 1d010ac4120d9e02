/**
 * Issue 17 items 4, 5 and 7 through the CLI: SIGTERM drains (the request in flight is answered, then nothing is
 * left: processes, segments, cgroups); SIGKILL of the gateway leaves nothing behind either (its hosts clean up);
 * bad --port values are a clear exit 2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startServe, hostsOf, cgroupsOf } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeChunkedManifest, writeSlowModel } from './helpers.js';
import { SHM_DIR, binaryInferRequest, httpRequest, randomFeeds, modelMetadata } from '../../src/runtime/index.js';
import { cgroupsAvailable } from '../../src/core/cgroup.js';

const dir = tmpDir('signals');
after(() => cleanup(dir));



const segmentsOf = (pid: number) => readdirSync(SHM_DIR).filter((f) => f.startsWith(`mopar-${pid}-`));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const until = async (cond: () => boolean, what: string, ms = 20_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};


let chain = '';
async function slowChain(): Promise<string> {
  if (!chain) {
    const slow = writeSlowModel(dir, 32);
    chain = join(dir, 'part');
    // Shared-memory hand-off between the two functions: a segment exists while the second one runs.
    await writeChunkedManifest(slow, chain, 2, (t) => (t === 'x' ? 'inline' : 'shm'));
  }
  return chain;
}

/** Posts a request and resolves once the gateway holds it in the second function (segment written). */
async function requestInSecondFunction(base: string, pid: number) {
  // The test manifest names its model 'toy'.
  const feeds = randomFeeds(await modelMetadata(base, 'toy'), 1);
  const { body, headers } = binaryInferRequest(feeds);
  const reply = httpRequest(`${base}/v2/models/toy/infer`, { method: 'POST', body, headers }).then((r) => r, (e: Error) => e);
  await until(() => segmentsOf(pid).length > 0, 'the hand-off segment');
  return { reply }; // wrapped: an async function would wait for it
}

test('SIGTERM: the request in flight is answered, then no process, segment or cgroup is left; exit 0', async () => {
  const { proc, base, stderr, exited } = await startServe([await slowChain(), '--port', '0']);
  const pid = proc.pid!;
  try {
    const hosts = hostsOf(pid);
    assert.equal(hosts.length, 2, `two function hosts expected, saw ${hosts}`);
    const { reply } = await requestInSecondFunction(base, pid);
    proc.kill('SIGTERM');
    const r = await reply;
    assert.ok(!(r instanceof Error), `the request in flight was cut: ${r}`);
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /1 request\(s\) finished/);
    for (const h of hosts) assert.equal(alive(h), false, `host ${h} survived`);
    assert.deepEqual(segmentsOf(pid), []);
    assert.deepEqual(cgroupsOf(pid), []);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
});

test('SIGKILL of the gateway: its hosts exit and remove its segments and their cgroups', async () => {
  const { proc, base } = await startServe([await slowChain(), '--port', '0']);
  const pid = proc.pid!;
  const hosts = hostsOf(pid);
  const limited = cgroupsAvailable().cpu && cgroupsAvailable().memory;
  let reply: Promise<unknown> | undefined;
  try {
    if (limited) assert.ok(cgroupsOf(pid).length >= 2, 'each host in its own group');
    ({ reply } = await requestInSecondFunction(base, pid));
  } finally {
    proc.kill('SIGKILL');
  }
  assert.ok((await reply) instanceof Error);
  await until(() => hosts.every((h) => !alive(h)), 'the hosts to exit');
  await until(() => segmentsOf(pid).length === 0, `segments of the killed gateway to go (${segmentsOf(pid)})`);
  await until(() => cgroupsOf(pid).length === 0, `cgroups of the killed gateway to go (${cgroupsOf(pid)})`);
});

test('serve --port out of range or empty → exit 2 with a clear message', async () => {
  for (const port of ['70000', '', '-1', '8e3', 'abc']) {
    const r = await runCli(['serve', dir, '--port', port]);
    assert.equal(r.code, 2, `--port '${port}': ${r.stderr}`);
    assert.match(r.stderr, /^mopar: error: --port must be an integer from 0 to 65535 \(0 = any free port\), got '.*'\n$/);
  }
});
