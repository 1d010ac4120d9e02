/** cgroup v1 helpers: a child really runs inside the group under its quota; removal leaves nothing behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { cgroupsAvailable, createCgroup, spawnInCgroup, sweepOrphanCgroups } from '../../src/core/cgroup.js';
import { MoparError } from '../../src/core/errors.js';

const support = cgroupsAvailable();

test('invalid limits are a clear error', { skip: !support.cpu && 'cgroup v1 cpu controller not writable here' }, () => {
  assert.throws(() => createCgroup({ vcpu: 0 }), MoparError);
  assert.throws(() => createCgroup({ vcpu: 0.5, memoryBytes: 10 }), MoparError);
});

test('a spawned child runs inside the group with the quota; usage is read; remove cleans up', { skip: !support.cpu && 'cgroup v1 cpu controller not writable here' }, async () => {
  const cg = createCgroup({ vcpu: 0.5, memoryBytes: 256 * 2 ** 20 });
  try {
    assert.equal(readFileSync(`${cg.dirs.cpu}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    const child = spawnInCgroup(cg, process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/cgroup","utf8"))'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.match(out, new RegExp(`:cpu:.*/${cg.name}\\n`));
    if (cg.dirs.memory) {
      assert.match(out, new RegExp(`:memory:.*/${cg.name}\\n`));
      const u = cg.usage();
      assert.ok(u.maxUsageBytes! > 1e6, 'a node process uses more than 1 MB');
      assert.equal(u.failcnt, 0);
    }
  } finally {
    const dirs = Object.values(cg.dirs);
    cg.remove();
    for (const d of dirs) assert.ok(!existsSync(d), `${d} removed`);
  }
});

test('remove kills processes still inside', { skip: !support.cpu && 'cgroup v1 cpu controller not writable here' }, async () => {
  const cg = createCgroup({ vcpu: 0.25 });
  const child = spawnInCgroup(cg, process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const closed = new Promise((r) => child.on('close', (_c, sig) => r(sig)));
  cg.remove();
  assert.equal(await closed, 'SIGKILL');
  assert.deepEqual(cg.dirs, {});
});

test('groups left by a dead mopar process are swept; a live one\'s are kept', { skip: !support.cpu && 'cgroup v1 cpu controller not writable here' }, () => {
  const probe = createCgroup({ vcpu: 1 });
  const parent = dirname(probe.dirs.cpu!);
  probe.remove();
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const orphan = `${parent}/mopar-${dead}-1`;
  const alive = `${parent}/mopar-${process.ppid}-999999`;
  mkdirSync(orphan);
  mkdirSync(alive);
  try {
    sweepOrphanCgroups();
    assert.ok(!existsSync(orphan), 'the dead process\'s group is removed');
    assert.ok(existsSync(alive), 'a live process\'s group is kept');
  } finally {
    for (const d of [orphan, alive]) if (existsSync(d)) rmdirSync(d);
  }
});
