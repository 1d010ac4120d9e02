/** Served sessions pin their intra-op workers apart (graph/runner.ts workerAffinity), and still compute the same. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { allowedCpus, servedSessionConfig, workerAffinity, SERVED_SESSION_CONFIG } from '../../src/graph/index.js';
import { createFunctionCore } from '../../src/runtime/function-core.js';
import { writeToyModel } from '../../src/zoo/toy.js';

test('workerAffinity: one allowed CPU per worker (threads − 1), 1-based, spread by slot; none for one thread or too few CPUs', () => {
  const cpus = allowedCpus();
  assert.ok(cpus.length >= 1 && cpus.every((c) => Number.isInteger(c) && c >= 0));
  assert.equal(workerAffinity(1), undefined);
  assert.equal(workerAffinity(0), undefined);
  assert.equal(workerAffinity(cpus.length + 1), undefined, 'more threads than CPUs: left to the scheduler');
  if (cpus.length >= 2) {
    const ids = workerAffinity(2, 0)!.split(';').map(Number);
    assert.deepEqual(ids, [cpus[1]! + 1]);
    assert.deepEqual(workerAffinity(2, 1)!.split(';').map(Number), [cpus[0]! + 1], 'the next slot pins to the next CPU');
    const all = workerAffinity(cpus.length, 0)!.split(';').map(Number);
    assert.equal(all.length, cpus.length - 1);
    assert.equal(new Set(all).size, all.length, 'each worker on its own CPU');
    for (const id of all) assert.ok(cpus.includes(id - 1), `${id} is an allowed CPU (1-based)`);
  }
});

test('servedSessionConfig keeps the served entries, pins only with more than one thread, and never overrides a caller\'s own pinning', () => {
  assert.deepEqual(servedSessionConfig(1), { ...SERVED_SESSION_CONFIG });
  const own = servedSessionConfig(2, { 'session.intra_op_thread_affinities': '1' });
  assert.equal(own['session.intra_op_thread_affinities'], '1');
  const two = servedSessionConfig(2, {}, 0);
  assert.equal(two['session.intra_op.allow_spinning'], '0');
  assert.equal(two['session.intra_op_thread_affinities'], workerAffinity(2, 0));
});

test('a function host at 2 threads (workers pinned where the machine has the CPUs) computes what 1 thread does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-pin-'));
  try {
    const file = writeToyModel(dir);
    const one = await createFunctionCore(file, { threads: 1 });
    const two = await createFunctionCore(file, { threads: 2 });
    try {
      const x = { dtype: 'float32' as const, dims: [1, 16], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)) };
      const a = Object.values(await one.invoke({ x }))[0]!;
      const b = Object.values(await two.invoke({ x }))[0]!;
      assert.deepEqual(b.dims, a.dims);
      const [da, db] = [a.data as Float32Array, b.data as Float32Array];
      for (let i = 0; i < da.length; i++) assert.ok(Math.abs(da[i]! - db[i]!) <= 1e-6, `${i}: ${da[i]} vs ${db[i]}`);
    } finally {
      await one.close();
      await two.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
