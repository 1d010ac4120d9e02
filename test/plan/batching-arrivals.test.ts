import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MoparError } from '../../src/core/errors.js';
import { quantile } from '../../src/core/index.js';
import {
  appsFromJson, arrivalStats, arrivalTimes, burstyTimes, mergeArrivals, parseTrace, planBatching, poissonTimes,
  readAppsFile, simulateArrivals, traceTimes, WorkloadArrivals,
} from '../../src/plan/batching/index.js';
import { syntheticProfile } from './synthetic.js';

test('arrivals: Poisson is seeded, bounded by count and horizon, at its rate', () => {
  const a = poissonTimes(5, 200_000, 7);
  assert.deepEqual(a, poissonTimes(5, 200_000, 7));
  assert.notDeepEqual(a, poissonTimes(5, 200_000, 8));
  // 1,000 expected; a Poisson count's sd is √1000 ≈ 32: 5 sd either side.
  assert.ok(Math.abs(a.length - 1000) < 160, `${a.length} arrivals`);
  assert.ok(a.every((t, i) => t >= 0 && t < 200_000 && (i === 0 || t >= a[i - 1]!)));
  assert.equal(poissonTimes(5, 200_000, 7, 30).length, 30);
  const s = arrivalStats(a, 200_000);
  assert.ok(Math.abs(s.gapCv2 - 1) < 0.25, `Poisson gap CV² ${s.gapCv2}`);
  assert.ok(Math.abs(s.dispersion - 1) < 0.35, `Poisson dispersion ${s.dispersion}`);
});

test('arrivals: bursty on/off keeps the mean rate and is burstier than Poisson', () => {
  const b = burstyTimes(4, { peakToMean: 5, meanOnMs: 3000 }, 20_000_000, 3);
  assert.deepEqual(b, burstyTimes(4, { peakToMean: 5, meanOnMs: 3000 }, 20_000_000, 3));
  const s = arrivalStats(b, 20_000_000);
  assert.ok(Math.abs(s.ratePerSec - 4) < 0.6, `mean rate ${s.ratePerSec}`);
  assert.ok(s.gapCv2 > 2, `bursty gap CV² ${s.gapCv2}`);
  assert.ok(s.dispersion > 3, `bursty dispersion ${s.dispersion}`);
  assert.equal(burstyTimes(4, { peakToMean: 5, meanOnMs: 3000 }, 2_000_000, 3, 17).length, 17);
});

test('arrivals: traces in the accepted forms, replayed with time compression', () => {
  const azure2019 = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f,http,2,0,3\no,a,g,timer,1,1,1\n';
  const perMinute = parseTrace(azure2019, 'trace t.csv');
  assert.deepEqual(perMinute, { kind: 'per-minute', counts: [2, 0, 3] });
  assert.deepEqual(parseTrace(azure2019, 'trace t.csv', 1), { kind: 'per-minute', counts: [1, 1, 1] });
  const replay = traceTimes(perMinute, Infinity, 1, 1000);
  assert.equal(replay.length, 5);
  assert.equal(replay.filter((t) => t < 1000).length, 2);
  assert.equal(replay.filter((t) => t >= 2000 && t < 3000).length, 3);
  assert.deepEqual(replay, traceTimes(perMinute, Infinity, 1, 1000));

  const azure2021 = 'app,func,end_timestamp,duration\na,f,10.5,0.5\na,f,12.0,1.0\na,f,10.25,0.05\n';
  const ts = parseTrace(azure2021, 'trace u.csv');
  assert.equal(ts.kind, 'timestamps');
  assert.deepEqual(Array.from(ts.kind === 'timestamps' ? ts.timesMs : []).map((t) => Math.round(t)), [0, 200, 1000]);
  assert.deepEqual(Array.from(traceTimes(parseTrace('{"timestampsMs": [100, 40, 70]}', 'x'), Infinity, 1)), [0, 30, 60]);
  assert.deepEqual(Array.from(traceTimes(parseTrace('5\n10\n20\n', 'x'), 12, 1)), [0, 5]);

  assert.throws(() => parseTrace('a,b\n1,2\n', 'trace bad.csv'), (e: unknown) => e instanceof MoparError && /unrecognised CSV header/.test(e.message));
  assert.throws(() => parseTrace('HashFunction,1,2\nf,1,x\n', 'trace bad.csv'), /minute 2 is not a count/);
  assert.throws(() => parseTrace('{"perMinute": [0, 0]}', 'trace z.json'), /holds no arrivals/);
  assert.throws(() => parseTrace('', 'trace e.txt'), /is empty/);
});

test('arrivals: merged streams stay ascending and remember their source', () => {
  const m = mergeArrivals([Float64Array.from([1, 5, 9]), Float64Array.from([2, 5])]);
  assert.deepEqual(Array.from(m.timesMs), [1, 2, 5, 5, 9]);
  assert.deepEqual(Array.from(m.source), [0, 1, 0, 1, 0]);
});

test('apps file: bursty and trace arrivals (trace path relative to the file, rate from the trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-arrivals-'));
  writeFileSync(join(dir, 'calls.csv'), 'HashFunction,1,2\nf,60,120\n');
  const apps = { apps: [
    { name: 'a', sloMs: 300, ratePerSec: 2, arrivals: { kind: 'bursty', peakToMean: 4, meanOnMs: 1000 } },
    { name: 'b', sloMs: 1000, arrivals: { kind: 'trace', file: 'calls.csv' } },
    { name: 'c', sloMs: 1000, ratePerSec: 1 },
  ] };
  writeFileSync(join(dir, 'apps.json'), JSON.stringify(apps));
  const read = readAppsFile(join(dir, 'apps.json'));
  assert.equal(read[1]!.ratePerSec, 1.5); // 180 arrivals in 2 minutes
  assert.equal(read[1]!.arrivals?.kind === 'trace' && read[1]!.arrivals.file, join(dir, 'calls.csv'));
  assert.equal(arrivalTimes(read[1]!, Infinity, 1).length, 180);
  assert.throws(() => appsFromJson({ apps: [{ name: 'x', sloMs: 100 }] }, 'apps file y.json'), /apps\[0\]\.ratePerSec is missing/);
  assert.throws(() => appsFromJson({ apps: [{ name: 'x', sloMs: 100, ratePerSec: 1, arrivals: { kind: 'bursty', peakToMean: 0.5, meanOnMs: 10 } }] }, 'apps file y.json'), /apps file y.json/);
});

test('planner: bursty applications are planned on a replay of their arrivals, and the replayed p99 meets the SLO', () => {
  const profile = syntheticProfile([
    { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
    { ms: 8, paramMB: 5, actMB: 2, cutBytes: 100_000 },
    { ms: 4, paramMB: 2, actMB: 1, cutBytes: 4_000 },
  ]);
  const apps = [
    { name: 'fast', sloMs: 200, ratePerSec: 3, arrivals: { kind: 'bursty' as const, peakToMean: 6, meanOnMs: 2000 } },
    { name: 'slow', sloMs: 1500, ratePerSec: 2 },
  ];
  const out = planBatching(profile, apps, { platform: 'gcp-cloud-run', batchSizes: [1, 2, 4, 8] });
  assert.ok(out.notes.some((n) => /seeded replay/.test(n)), out.notes.join('\n'));
  const replay = new WorkloadArrivals(apps, 1);
  for (const g of out.groups) {
    const members = apps.filter((a) => g.apps.includes(a.name));
    const times = replay.of(members)?.timesMs ?? mergeArrivals(members.map((a, i) => arrivalTimes(a, replay.horizonMs, 100 + i))).timesMs;
    // The plan's own execution model at b ≤ B is not exported; its full-batch time bounds every batch's.
    const p99 = quantile(simulateArrivals(times, g, () => g.predicted.execMsAtMax).latencies, 0.99);
    assert.ok(p99 <= g.sloMs, `group ${g.apps.join('+')}: replayed p99 ${p99} ms over ${g.sloMs} ms`);
  }
});
