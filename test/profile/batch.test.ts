import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MoparError } from '../../src/core/errors.js';
import { fitBatchLatency, loadProfile, profileModel, saveProfile, type Profile } from '../../src/profile/index.js';
import { planBatching } from '../../src/plan/index.js';
import { writeZooModel } from '../../src/zoo/index.js';

let dir = '';
let profile: Profile;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-batch-profile-'));
  writeZooModel('mobilenetv2', join(dir, 'dyn.onnx'), { tiny: true, batch: 'dynamic' });
  writeZooModel('mobilenetv2', join(dir, 'fixed.onnx'), { tiny: true });
  profile = await profileModel(join(dir, 'dyn.onnx'), { runs: 2, cpuScaling: false, measureRss: false, batchSizes: [1, 2, 4] });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('batch profile: latency at each size and thread count, a fit, read by the batching planner', () => {
  const b = profile.batch!;
  assert.ok(b, 'no batch field');
  assert.deepEqual(b.sizes, [1, 2, 4]);
  assert.equal(b.points.length, 6);
  assert.deepEqual(b.points.map((p) => `${p.threads}:${p.batch}`), ['1:1', '1:2', '1:4', '2:1', '2:2', '2:4']);
  assert.ok(b.points.every((p) => p.ms > 0 && Number.isFinite(p.ms)));
  assert.deepEqual(b.fits.map((f) => f.threads), [1, 2]);
  assert.equal(b.maxBatch, 4);
  assert.ok(b.memory.perItemMB > 0 && b.memory.measured === false);
  const r = planBatching(profile, [{ name: 'a', sloMs: 500, ratePerSec: 1000 }], { platform: 'aws-lambda' });
  assert.ok(r.groups[0]!.maxBatch <= 4, 'the planner went past the largest measured batch');
  assert.ok(!r.notes.some((n) => /no batch profile/.test(n)));
});

test('batch profile: a fixed-batch model is a clear error; saved and reloaded; profiles older than constant folding are refused', async () => {
  await assert.rejects(profileModel(join(dir, 'fixed.onnx'), { runs: 1, cpuScaling: false, measureRss: false, batchSizes: [1, 2] }),
    (e: unknown) => e instanceof MoparError && /dynamic leading batch dim/.test(e.message));
  const path = join(dir, 'p.json');
  saveProfile(profile, path);
  assert.deepEqual(loadProfile(path).batch, profile.batch);
  const old = JSON.parse(readFileSync(path, 'utf8'));
  for (const v of [2, 3]) {
    old.version = v;
    writeFileSync(path, JSON.stringify(old));
    assert.throws(() => loadProfile(path), /version [23].*constant subgraphs were folded.*profile the model again/);
  }
  old.version = 1;
  writeFileSync(path, JSON.stringify(old));
  assert.throws(() => loadProfile(path), /version 1/);
});

test('batch latency fit: least squares, known answers', () => {
  const pts = [1, 2, 4, 8].map((batch) => ({ batch, threads: 1, ms: 3 + 2 * batch }));
  const f = fitBatchLatency([...pts, { batch: 1, threads: 2, ms: 100 }], 1);
  assert.ok(Math.abs(f.fixedMs - 3) < 1e-9 && Math.abs(f.perItemMs - 2) < 1e-9);
  const one = fitBatchLatency([{ batch: 1, threads: 2, ms: 7 }], 2);
  assert.deepEqual(one, { threads: 2, fixedMs: 0, perItemMs: 7 });
});
