/**
 * Issue 26 item 6: SIGKILL of `mopar serve` while its instances are still starting (node bootstrapping,
 * onnxruntime loading, sessions being created) leaves no host process and no cgroup directory behind: each host
 * watches its gateway from its first instruction, and whoever outlives the other removes the groups.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, hostsOf, cgroupsOf } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeChunkedManifest, writeSlowModel } from './helpers.js';
import { cgroupsAvailable } from '../../src/core/cgroup.js';

const dir = tmpDir('sigkill-start');
after(() => cleanup(dir));

const FUNCTIONS = 8;


/** Every live process whose cgroup is one of gateway `pid`'s (a host that was reparented is found this way too). */
function processesInGroupsOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try { if (readFileSync(`/proc/${e}/cgroup`, 'utf8').includes(`/mopar-${pid}-`)) out.push(Number(e)); } catch { /* gone */ }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2)); // a zombie has exited
  } catch { return false; }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(25);
  }
  return true;
}

test(`SIGKILL of serve while ${FUNCTIONS} instances start: within 5 s no host and no cgroup of it is left`, async (t) => {
  const limited = cgroupsAvailable().cpu && cgroupsAvailable().memory;
  if (!limited) t.diagnostic(`cgroups not writable here (${cgroupsAvailable().reason}): only the host processes are checked`);
  // Slow enough to load that the sessions are still being created when the gateway dies.
  const model = writeSlowModel(dir, 32);
  const chain = join(dir, 'chain');
  await writeChunkedManifest(model, chain, FUNCTIONS);
  const proc = spawn(process.execPath, [BIN, 'serve', chain, '--port', '0'], {
    env: { ...process.env, MOPAR_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const gw = proc.pid!;
  const hosts = new Set<number>();
  try {
    // serve starts one instance of every function before it listens: kill it as soon as all are spawned.
    const spawned = await until(() => { for (const h of hostsOf(gw)) hosts.add(h); return hosts.size >= FUNCTIONS; }, 60_000);
    assert.ok(spawned, `serve did not start ${FUNCTIONS} hosts (saw ${[...hosts]}): ${stdout} ${stderr}`);
    if (limited) assert.ok(cgroupsOf(gw).length >= FUNCTIONS, 'each host in its groups');
  } finally {
    proc.kill('SIGKILL');
  }
  assert.doesNotMatch(stdout, /listening/, 'the instances had finished starting before the kill: the test proves nothing');
  const t0 = Date.now();
  const gone = await until(() => [...hosts].every((h) => !alive(h)) && processesInGroupsOf(gw).length === 0
    && (!limited || cgroupsOf(gw).length === 0), 5000);
  const left = [...hosts].filter(alive);
  assert.ok(gone, `5 s after SIGKILL: hosts alive ${JSON.stringify(left)}, in its groups ${JSON.stringify(processesInGroupsOf(gw))}, groups ${JSON.stringify(cgroupsOf(gw))}`);
  t.diagnostic(`all gone ${Date.now() - t0} ms after the SIGKILL`);
  // Nothing comes back later either (a host that had not run yet must not re-create or leave anything).
  await sleep(1000);
  assert.deepEqual(cgroupsOf(gw), []);
  for (const h of hosts) if (alive(h)) process.kill(h, 'SIGKILL');
});
