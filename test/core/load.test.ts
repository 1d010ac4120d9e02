/** A loaded machine is detected (load average over cores during a measurement) and every measured output says so. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOADED_RATIO, loadWarning, settleLoad, watchLoad } from '../../src/core/load.js';
import { saveModel } from '../../src/graph/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli } from '../cli/run-cli.js';

function withLoad<T>(value: string | undefined, fn: () => T): T {
  const old = process.env.MOPAR_LOADAVG;
  if (value === undefined) delete process.env.MOPAR_LOADAVG; else process.env.MOPAR_LOADAVG = value;
  try { return fn(); } finally { if (old === undefined) delete process.env.MOPAR_LOADAVG; else process.env.MOPAR_LOADAVG = old; }
}

test('watchLoad flags load above LOADED_RATIO per core, and only then', () => {
  const cores = availableParallelism();
  const busy = withLoad(String(cores * (LOADED_RATIO + 1)), () => watchLoad().stop());
  assert.deepEqual(busy, { loadAvg: cores * (LOADED_RATIO + 1), cores, loaded: true });
  assert.match(loadWarning(busy)!, new RegExp(`^the machine was loaded while measuring \\(load average [\\d.]+ on ${cores} cores\\): timings are inflated`));
  const idle = withLoad(String(cores * LOADED_RATIO * 0.5), () => watchLoad().stop());
  assert.equal(idle.loaded, false);
  assert.equal(loadWarning(idle), undefined);
  assert.equal(loadWarning(undefined), undefined, 'profiles from before this field: nothing to say');
});

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-load-'));
  saveModel(fixture('residual').build(), join(dir, 'm.onnx'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('settleLoad returns at once on a quiet machine and waits (bounded) on a loaded one', async () => {
  const cores = availableParallelism();
  const timed = async (load: string, maxMs: number) => {
    const old = process.env.MOPAR_LOADAVG;
    process.env.MOPAR_LOADAVG = load;
    const t0 = Date.now();
    try { await settleLoad(maxMs); } finally { if (old === undefined) delete process.env.MOPAR_LOADAVG; else process.env.MOPAR_LOADAVG = old; }
    return Date.now() - t0;
  };
  assert.ok(await timed(String(cores * 0.5), 5000) < 500, 'under one per core: no wait');
  const waited = await timed(String(cores * 3), 1500);
  assert.ok(waited >= 1400 && waited < 4000, `loaded: waits its bound, then goes on (${waited} ms)`);
});

test('profile and plan say so in text and JSON when the machine was loaded, and not when it was idle', async () => {
  const model = join(dir, 'm.onnx');
  const fast = ['--runs', '1', '--no-rss', '--no-cpu-scaling'];
  const busy = await runCli(['profile', model, ...fast, '-o', join(dir, 'busy.json')], { MOPAR_LOADAVG: '512' }, 120_000);
  assert.equal(busy.code, 0, busy.stderr);
  assert.match(busy.stdout, /\nwarning: the machine was loaded while measuring \(load average 512\.0 on \d+ cores\): latencies are inflated/);
  const saved = JSON.parse(readFileSync(join(dir, 'busy.json'), 'utf8'));
  assert.equal(saved.load.loaded, true);
  assert.equal(saved.load.loadAvg, 512);
  // One run each gives the text (stdout) and the JSON (-o): a CLI start and, for profile, a profiling pass fewer.
  const plan = await runCli(['plan', model, '--profile', join(dir, 'busy.json'), '-o', join(dir, 'plan.json')], {}, 120_000);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /\nwarning: the machine was loaded while measuring .*: the profiled timings this plan rests on are inflated/);
  const planJson = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  assert.equal(planJson.profileLoad.loaded, true);

  const idle = await runCli(['profile', model, ...fast, '-o', join(dir, 'idle.json')], { MOPAR_LOADAVG: '0' }, 120_000);
  assert.equal(idle.code, 0, idle.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'idle.json'), 'utf8')).load.loaded, false);
  assert.match(idle.stdout, /\S/, 'the text profile was printed');
  assert.doesNotMatch(idle.stdout, /warning: the machine was loaded/);
});
