import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, summariseLoad, workloadSchedule } from '../../src/bench/loadgen.js';
import { billCalls, billStarts, billWindowStarts, QUICK_WORKLOAD, type WorkloadReport, type WorkloadRow } from '../../src/bench/workload.js';
import { billedMs, getPlatform, initUSD, usdPerSecond, warmUSDPerSecond } from '../../src/plan/index.js';
import { workloadHeadline, workloadMarkdown, writeWorkloadReport } from '../../src/bench/workload-report.js';
import { arrivalTimes } from '../../src/plan/batching/index.js';

test('load generator: the schedule is seeded, bounded in count and time, and merges every application', () => {
  const bounds = { durationMs: 30_000, maxRequests: 10_000 };
  const a = workloadSchedule(QUICK_WORKLOAD, bounds, 5);
  assert.deepEqual(a, workloadSchedule(QUICK_WORKLOAD, bounds, 5));
  assert.notDeepEqual(a, workloadSchedule(QUICK_WORKLOAD, bounds, 6));
  // Exactly the arrivals module's streams (app i seeded 5 + i), merged in time order.
  QUICK_WORKLOAD.forEach((app, i) => assert.equal(a.filter((r) => r.app === app.name).length, arrivalTimes(app, 30_000, 5 + i).length));
  assert.ok(a.every((r, i) => r.atMs >= 0 && r.atMs < 30_000 && (i === 0 || r.atMs >= a[i - 1]!.atMs)));
  const capped = workloadSchedule(QUICK_WORKLOAD, { durationMs: 30_000, maxRequests: 25 }, 5);
  assert.equal(capped.length, 25);
  assert.deepEqual(capped, a.slice(0, 25));
  assert.throws(() => workloadSchedule(QUICK_WORKLOAD, { durationMs: Infinity, maxRequests: 5 }, 1), /durationMs/);
});

test('load generator: sends at the scheduled times, records failures, and stops by itself after the grace', async () => {
  const schedule = Array.from({ length: 12 }, (_, i) => ({ app: i % 3 === 0 ? 'hung' : i % 3 === 1 ? 'ok' : 'bad', atMs: i * 5 }));
  const sentAt: number[] = [];
  const t0 = performance.now();
  const out = await runLoad(schedule, async (req) => {
    sentAt.push(performance.now() - t0);
    if (req.app === 'hung') return new Promise<never>(() => {});
    if (req.app === 'bad') throw new Error('HTTP 503: busy');
    await new Promise((r) => setTimeout(r, 2));
    return { batchSize: 2 };
  }, 200);
  assert.equal(out.length, 12);
  assert.equal(sentAt.length, 12);
  // Open loop: nothing leaves before its time (t0 is taken before the generator's own start, so this is strict).
  assert.ok(sentAt.every((t, i) => t >= schedule[i]!.atMs), String(sentAt));
  const by = (app: string) => out.filter((o) => o.app === app);
  assert.ok(by('ok').every((o) => o.ok && o.batchSize === 2 && o.latencyMs >= 0));
  assert.ok(by('bad').every((o) => !o.ok && o.error === 'HTTP 503: busy'));
  assert.ok(by('hung').every((o) => !o.ok && o.error === 'not answered in time' && Number.isNaN(o.latencyMs)));
  const s = summariseLoad([{ name: 'ok', sloMs: 1000 }, { name: 'bad', sloMs: 1000 }, { name: 'none', sloMs: 5 }], out);
  assert.deepEqual(s.map((x) => [x.app, x.requests, x.ok, x.sloAttainment]), [['ok', 4, 4, 1], ['bad', 4, 0, 0], ['none', 0, 0, NaN]]);
});

test('workload bill: each call billed at its own duration rounded to the granule; starts add exactly starts × init', () => {
  const fn = { memoryMB: 1024, vcpu: 1 };
  const calls = [12.3, 99.9, 100.1, 250, 0.4];
  for (const id of ['gcp-cloud-run', 'aws-lambda']) {
    const p = getPlatform(id);
    const perCall = calls.reduce((s, ms) => s + billedMs(ms, p.price.granularityMs) / 1000 * usdPerSecond(p, fn) + p.price.perRequest, 0);
    assert.ok(Math.abs(billCalls(p, fn, calls) - perCall) < 1e-15, id);
    // Cloud Run: 100 + 100 + 200 + 300 + 100 ms billed, where the mean (92.5 ms) would bill 5 × 100 ms.
    if (id === 'gcp-cloud-run') assert.ok(Math.abs(billCalls(p, fn, calls) - (800 / 1000 * usdPerSecond(p, fn) + 5 * p.price.perRequest)) < 1e-15);
    const starts = [1800, 1800, 1800];
    assert.ok(Math.abs(billStarts(p, fn, starts) - 3 * initUSD(p, fn, 1800)) < 1e-18);
    assert.ok(initUSD(p, fn, 1800) > 0, `${id} bills init`);
  }
  assert.equal(billStarts(getPlatform('gcp-cloud-run'), fn, []), 0);
});

test('workload bill: every start that began in the window is billed, one still under way for the time it has run (issue 29: instanceStarts > 0 with startsUSD 0)', () => {
  const p = getPlatform('gcp-cloud-run');
  const fns = new Map([['g0/s0', { memoryMB: 1024, vcpu: 1 }], ['g0/s1', { memoryMB: 512, vcpu: 0.5 }]]);
  const starts = [
    { key: 'g0/s0', inst: { isReady: true, coldStartMs: 1800, startedAt: 0 } },
    // Still loading when the load ended, 2,500 ms after it was spawned.
    { key: 'g0/s1', inst: { isReady: false, coldStartMs: 0, startedAt: 7_500 } },
  ];
  const usd = billWindowStarts(p, fns, starts, 10_000);
  assert.ok(Math.abs(usd - (initUSD(p, fns.get('g0/s0')!, 1800) + initUSD(p, fns.get('g0/s1')!, 2500))) < 1e-18);
  assert.ok(initUSD(p, fns.get('g0/s1')!, 2500) > 0, 'the unfinished start is on the bill');
  assert.equal(billWindowStarts(p, fns, [], 10_000), 0);
});

test('warm capacity: one formula (billing.ts warmUSDPerSecond) for the planner and the bench: the warm price × size, 0 where none is priced', () => {
  const fns = [{ memoryMB: 1024, vcpu: 1 }, { memoryMB: 512, vcpu: 0.5 }];
  const run = getPlatform('gcp-cloud-run');
  const w = run.instances!.warm!;
  assert.ok(Math.abs(warmUSDPerSecond(run, fns) - (w.perGBSecond * 1.5 + w.perVcpuSecond * 1.5)) < 1e-18);
  assert.equal(warmUSDPerSecond({ ...run, instances: { ...run.instances!, warm: null } }, fns), 0);
});

test('load generator: p50/p99 and attainment per application (known answers)', () => {
  const out = [10, 20, 30, 40, 500].map((ms, i) => ({ app: 'a', atMs: i, latencyMs: ms, ok: true }));
  const [s] = summariseLoad([{ name: 'a', sloMs: 100 }], [...out, { app: 'a', atMs: 9, latencyMs: NaN, ok: false }]);
  assert.equal(s!.p50Ms, 30);
  assert.equal(s!.p99Ms, 500);
  assert.equal(s!.sloAttainment, 4 / 6);
});

function row(strategy: WorkloadRow['strategy'], usd: number, attainment: number, extra: Partial<WorkloadRow> = {}): WorkloadRow {
  return {
    platform: 'gcp-cloud-run', model: 'm', rateScale: 1, totalRatePerSec: 15, strategy, measured: true, feasible: true,
    groups: [{ apps: ['a', 'b'], maxBatch: 4, timeoutMs: 100, functions: 2 }], requests: 100, answered: 100,
    costPerRequestUSD: usd, predictedCostPerRequestUSD: usd, floorPerRequestUSD: 1e-7, costToFloor: usd / 1e-7, meanBatch: 3,
    sloAttainment: attainment, apps: [{ app: 'a', sloMs: 200, requests: 50, ok: 50, p50Ms: 20, p99Ms: 150, sloAttainment: attainment }], ...extra,
  };
}

test('workload report: headline ratios, tables, charts and JSON written', async () => {
  const report: WorkloadReport = {
    kind: 'mopar.workload', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:05:00Z',
    machine: { cpus: 2, cpuModel: 'cpu', memoryGB: 8, node: '20', onnxruntime: '1.30.0', cgroups: true },
    load: { loadAvg: 0.5, cores: 2, loaded: false },
    config: { apps: QUICK_WORKLOAD, model: 'm', tiny: false, platforms: ['gcp-cloud-run'], rateScales: [1], durationMs: 10_000, maxRequests: 100, seed: 1, batchSizes: [1, 2, 4] },
    rows: [
      row('unbatched-unsplit', 3e-6, 1),
      row('per-app', 1.5e-6, 0.99),
      row('one-group', 1.2e-6, 0.98),
      row('harmony', 1e-6, 0.995),
      // Measured (issue 29): the platform's own concurrency, 80 requests in flight per instance.
      row('concurrency', 2e-6, 0.97, { concurrency: 80, groups: [{ apps: ['a', 'b'], maxBatch: 1, timeoutMs: 0, functions: 1 }] }),
    ],
    notes: ['a note'],
  };
  const [headline] = workloadHeadline(report);
  assert.match(headline!, /HarmonyBatch grouping 1\.000 vs 3\.000 USD per million requests unbatched-unsplit \(3\.00× cheaper, 10\.00× the floor\)/);
  assert.match(headline!, /lowest SLO attainment 99\.5 % vs 100\.0 %; per-application batching 1\.500 \(99\.0 %\); the platform's own concurrency \(80 per instance, measured\) 2\.000 \(97\.0 %\)\./);
  const md = workloadMarkdown(report).join('\n');
  assert.match(md, /\| 15\.0 \| harmony \| a\+b: 4, 100 \| 100 \| 1\.000 \| – \| 1\.000 \| 10\.00 \| ÷3\.00 \|/);
  assert.match(md, /\| 15\.0 \| concurrency \(80 per instance\) \| a\+b: 1, 0 \| 100 \| 2\.000 \|/);
  assert.doesNotMatch(md, /predicted only/);
  // A report written before the measured baseline (its concurrency row predicted only) still renders as such.
  const old = { ...report, rows: [{ ...row('concurrency', NaN, NaN), measured: false, costPerRequestUSD: undefined, apps: undefined, sloAttainment: undefined, predictedCostPerRequestUSD: 2e-6 }] };
  assert.match(workloadMarkdown(old).join('\n'), /concurrency \(predicted only\)/);
  assert.match(md, /highest load average 0\.5 on 2 cores\./);
  const dir = mkdtempSync(join(tmpdir(), 'mopar-workload-report-'));
  try {
    await writeWorkloadReport(dir, report);
    for (const f of ['report.json', 'report.md', 'report.html', 'charts/cost-vs-rate.png', 'charts/slo-attainment.png']) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).rows.length, 5);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<table>[\s\S]*harmony[\s\S]*<svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mopar bench --workload: bad input is a one-line error with exit 2, before any profiling', async () => {
  const { runCli } = await import('../cli/run-cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'mopar-workload-cli-'));
  try {
    const cases: Array<[string[], RegExp]> = [
      [['--workload', join(dir, 'none.json')], /^mopar: error: apps file not found: .*none\.json/],
      [['--workload', '--sweep'], /^mopar: error: --workload and --sweep are two different benches/],
      [['--workload', '--models', 'nosuchmodel'], /^mopar: error: unknown zoo model 'nosuchmodel'/],
      [['--workload', '--rate-scales', '1,x'], /^mopar: error: --rate-scales must be a number/],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(['bench', ...args, '-o', join(dir, 'out')], {}, 60_000);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
