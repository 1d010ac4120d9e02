/**
 * Issue 29: the workload bench's `concurrency` baseline is measured (the same arrivals served unbatched with N
 * requests in flight per instance), billed as a concurrent Cloud Run instance: its busy time once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workloadSchedule } from '../../src/bench/loadgen.js';
import { measure } from '../../src/bench/workload.js';
import { getPlatform } from '../../src/plan/index.js';
import { writeToyModel } from '../../src/zoo/index.js';

test('workload measure with concurrency: every request answered, two services routed by application, billed busy time ≤ every call on its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-workload-conc-'));
  try {
    const model = writeToyModel(dir);
    const apps = [{ name: 'a', sloMs: 2000, ratePerSec: 40 }, { name: 'b', sloMs: 2000, ratePerSec: 40 }];
    const schedule = workloadSchedule(apps, { durationMs: 1000, maxRequests: 60 }, 3);
    const served = [{ dir: model, group: undefined, apps: ['a'] }, { dir: model, group: undefined, apps: ['b'] }];
    const conc = await measure('gcp-cloud-run', apps, schedule, served, 1e-7, { concurrency: 8 });
    assert.equal(conc.measured, true);
    assert.equal(conc.error, undefined, conc.error);
    assert.equal(conc.answered, schedule.length);
    assert.deepEqual(conc.apps!.map((a) => [a.app, a.ok]), apps.map((a) => [a.name, schedule.filter((r) => r.app === a.name).length]));
    assert.equal(conc.startsBilled, true);
    assert.ok(conc.costPerRequestUSD! > 0 && Number.isFinite(conc.costPerRequestUSD));
    // The same arrivals, each call billed alone (≥ one 100 ms granule each): a busy period holds ≥ 1 call and is
    // itself ≥ one granule, so the concurrent instance bill (without starts and warm capacity) is never more.
    const alone = await measure('gcp-cloud-run', apps, schedule, served, 1e-7);
    const compute = (m: typeof conc) => m.costPerRequestUSD! * m.answered! - m.startsUSD! - m.warmUSD!;
    assert.ok(compute(conc) <= compute(alone) * (1 + 1e-9), `${compute(conc)} vs ${compute(alone)}`);
    // Busy time was billed (each instance's calls tracked), not only the request fees.
    const fees = getPlatform('gcp-cloud-run').price.perRequest * conc.answered!;
    assert.ok(compute(conc) > fees * 1.5, `${compute(conc)} vs fees ${fees}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('workload measure: an unbatched service holds its planned warm minimum and is billed for it (the concurrency rows\' predicted cost includes it)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-workload-min-'));
  try {
    const model = writeToyModel(dir);
    const apps = [{ name: 'a', sloMs: 2000, ratePerSec: 20 }];
    const schedule = workloadSchedule(apps, { durationMs: 500, maxRequests: 10 }, 5);
    const held = await measure('gcp-cloud-run', apps, schedule, [{ dir: model, group: undefined, apps: ['a'], minInstances: 2 }], 1e-7, { concurrency: 8 });
    const none = await measure('gcp-cloud-run', apps, schedule, [{ dir: model, group: undefined, apps: ['a'] }], 1e-7, { concurrency: 8 });
    assert.equal(held.answered, schedule.length);
    assert.equal(none.warmUSD, 0);
    assert.ok(held.warmUSD! > 0, `warm minimum billed: ${held.warmUSD}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
