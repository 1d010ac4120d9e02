import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoResult } from '../../src/bench/demo.js';
import { runCli } from './run-cli.js';

test('mopar demo --tiny: both sides served, outputs match, the plan is reported for what it is', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'mopar-demo-'));
  try {
    const env = { MOPAR_CACHE_DIR: cache, MOPAR_QUIET: '1' };
    const r = await runCli(['demo', '--tiny', '--requests', '3', '--json'], env, 120_000);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as DemoResult;
    assert.equal(d.model, 'resnet50-tiny');
    assert.ok(d.verify.ok && d.maxRelErr <= 1e-4);
    for (const side of [d.unsplit, d.partitioned]) {
      assert.ok(side.functions >= 1 && side.p50Ms > 0 && side.costPerMillionUSD > 0);
    }
    assert.equal(d.unsplit.functions, 1);
    assert.ok(d.sloMs > 0);
    assert.ok(d.load.cores > 0 && d.load.loadAvg >= 0 && Array.isArray(d.warnings));
    assert.equal(d.warnings.some((w) => /machine was loaded/.test(w)), d.load.loaded || !!d.profileLoad?.loaded);
    if (d.partitioned.functions > 1) assert.equal(d.samePlanAsUnsplit, false, 'a split plan is not the unsplit one');
    // Batching: several applications, both sides measured on the same arrivals; the batched side forms batches.
    const b = d.batching;
    assert.ok(b.apps.length >= 2 && new Set(b.apps.map((a) => a.sloMs)).size === b.apps.length, JSON.stringify(b.apps));
    assert.equal(b.error, undefined);
    assert.ok(b.groups!.length >= 1 && b.groups!.some((g) => g.maxBatch > 1), JSON.stringify(b.groups));
    for (const m of [b.unbatched!, b.batched!]) {
      assert.ok(m.measured && m.requests! > 0 && m.answered === m.requests, JSON.stringify(m));
      assert.ok(m.costPerRequestUSD! > 0 && m.sloAttainment! >= 0 && m.sloAttainment! <= 1);
      assert.deepEqual(m.apps!.map((a) => a.app), b.apps.map((a) => a.name));
    }
    assert.equal(b.unbatched!.meanBatch, 1);
    assert.ok(b.batched!.meanBatch! > 1, `mean batch ${b.batched!.meanBatch}`);
    // The text form says what happened: the same function on both sides, or a real comparison.
    // A loaded machine (stood in for by MOPAR_LOADAVG) is said in the text.
    const text = await runCli(['demo', '--tiny', '--requests', '2'], { ...env, MOPAR_LOADAVG: '4096' }, 120_000);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /outputs match: max relative error/);
    assert.match(text.stdout, /\nbatching: [\d.]+× (cheaper|more expensive) per request than one request per invocation of the unsplit function/);
    // A cheaper batched bill that missed the SLOs is said to be no saving, and only then.
    const lowest = Number(/batched \+ partitioned[^\n%]*?([\d.]+) %/.exec(text.stdout)?.[1]);
    assert.ok(Number.isFinite(lowest), 'the batched row gives its lowest SLO attainment');
    assert.equal(/\nbatching: but the batched side missed its SLOs \(lowest attainment /.test(text.stdout), lowest < 99, text.stdout);
    assert.match(text.stdout, /\nwarning: the machine was loaded while measuring \(load average 4096\.0 on \d+ cores\): the measured latencies and costs are inflated/);
    // The closing line states a saving only when there was a split; an unsplit plan is said to be one.
    assert.match(text.stdout, d.samePlanAsUnsplit ? /result: no difference — mopar kept \S+ as one function, so both sides are the same deployment/ : /cost: partitioned is/);
    // A batched side that formed no batches does not credit batching with the difference; a row under its floor is marked.
    const meanBatch = Number(/batched \+ partitioned\s+\d+\s+([\d.]+)/.exec(text.stdout)?.[1]);
    assert.equal(/\nbatching: no batches formed at this rate/.test(text.stdout), meanBatch < 1.05, text.stdout);
    assert.equal(/under the floor\)/.test(text.stdout), /\nbatching: a side billed below its floor/.test(text.stdout));
    if (d.samePlanAsUnsplit) assert.doesNotMatch(text.stdout, /partitioned is [\d.]+× cheaper/);
    const said = /the cheapest plan for resnet50-tiny on gcp-cloud-run is the unsplit function itself/.test(text.stdout);
    // The profile is cached from the first run, so the second plans the same functions.
    assert.equal(said, d.samePlanAsUnsplit, 'the explanation appears exactly when the plans are the same');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
