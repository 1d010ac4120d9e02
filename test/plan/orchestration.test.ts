import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PLATFORMS, SPLIT_MARGIN, configsFor, getPlatform, measuredOrchestrationUSD, orchestrationRate, orchestrationUSD, planPartition, renderPlan,
} from '../../src/plan/index.js';
import { makeContext, segmentOptions } from '../../src/plan/cost-model.js';
import { makeProblem } from '../../src/plan/problem.js';
import { COST_TIE, minCostUnderSlo, type DpProblem } from '../../src/plan/dp.js';
import { normalisedLayerMs, unitsOf } from '../../src/plan/units.js';
import { TRANSPORTS } from '../../src/plan/transports/index.js';
import { syntheticProfile } from './synthetic.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('the entry of a multi-function deployment: OpenFaaS 256 MB + 0.25 vCPU for the request; Lambda 512 MB plus Step Functions Express', () => {
  const of = getPlatform('openfaas');
  // 0.25 vCPU-s and 0.25 GB-s per second, billed per ms, no request fee: $0.05 per million 20 ms requests.
  close(orchestrationUSD(of, 20), 0.02 * (0.25 * of.price.perVcpuSecond + 0.25 * of.price.perGBSecond));
  close(orchestrationUSD(of, 20) * 1e6, 0.05, 1e-9);
  const aws = getPlatform('aws-lambda');
  // The entry: 512 MB for 20 ms + $0.20/M; the workflow: $1/M + 100 ms (20 ms rounded up) of 64 MB at $0.00001667/GB-s.
  const entry = 0.02 * 0.5 * 0.0000166667 + 0.2e-6;
  close(orchestrationUSD(aws, 20), entry + 1e-6 + 0.1 * (64 / 1024) * 0.00001667);
  close(orchestrationUSD(aws, 20) * 1e6, 1.4709, 1e-4);
  // A measured 150 ms request: the workflow's duration is rounded up to 200 ms.
  close(measuredOrchestrationUSD(aws, 150), 0.15 * 0.5 * 0.0000166667 + 0.2e-6 + 1e-6 + 0.2 * (64 / 1024) * 0.00001667);
  close(measuredOrchestrationUSD(of, 20), orchestrationUSD(of, 20));
  // Cloud Run bills the entry in 100 ms steps, like its functions: 256 MB + 0.25 vCPU for 100 ms + $0.40/M.
  close(orchestrationUSD(getPlatform('gcp-cloud-run'), 20) * 1e6, 1.0625, 1e-9);
  close(orchestrationUSD(getPlatform('alibaba-fc'), 20) * 1e6, 0.265, 1e-9);
  // The zip variant inherits Lambda's; every entry is a configuration its platform allows.
  assert.deepEqual(getPlatform('aws-lambda-zip').orchestration, aws.orchestration);
  for (const p of PLATFORMS) {
    const e = p.orchestration.entry;
    assert.ok(configsFor(p, e.memoryMB).some((c) => c.memoryMB === e.memoryMB && Math.abs(c.vcpu - e.vcpu) < 1e-3), p.id);
    assert.ok(p.notes['orchestration.entry'], `${p.id}: the entry has a note`);
    // The DP's linear form: per ms the entry's (and workflow's) rate; it is exact up to the mean round-up.
    const r = orchestrationRate(p);
    const g = Math.max(p.price.granularityMs, p.orchestration.workflow?.granularityMs ?? 0);
    assert.ok(Math.abs(r.usdPerMs * 1000 + r.fixedUSD - orchestrationUSD(p, 1000)) <= r.usdPerMs * g, p.id);
  }
});

/** A conv body and a head of `headMB` of weights: slicing the head off saves its memory over the body's time. */
const headProfile = (headMB: number) => syntheticProfile([
  ...Array.from({ length: 6 }, () => ({ ms: 50, paramMB: 5, actMB: 30, cutBytes: 400_000 })),
  { ms: 10, paramMB: headMB, actMB: 1, cutBytes: 4000, op: 'Gemm' },
], { model: `head-${headMB}` });

test('a plan of several functions costs its functions plus its entry; one function has no entry', () => {
  const split = planPartition(headProfile(6000), { platform: 'openfaas', sloMs: 1000 });
  assert.ok(split.functions.length > 1);
  assert.ok(split.edges.every((e) => e.transport === 'inline' || e.transport === 'shm'), 'no hand-off fees: functions + entry is the whole bill');
  const fns = split.functions.reduce((s, f) => s + f.predicted.costPerMillionUSD, 0);
  const entry = split.predicted.entryCostPerMillionUSD!;
  close(entry, orchestrationUSD(getPlatform('openfaas'), split.predicted.latencyMs) * 1e6, 1e-5);
  close(split.predicted.costPerMillionUSD, fns + entry, 1e-5 * (split.functions.length + 2));
  assert.match(renderPlan(split), /of which entry \$\d+\.\d{4}/);
  const one = planPartition(headProfile(100), { platform: 'openfaas', sloMs: 1000 });
  assert.equal(one.functions.length, 1);
  assert.equal(one.predicted.entryCostPerMillionUSD, undefined);
  close(one.predicted.costPerMillionUSD, one.functions[0]!.predicted.costPerMillionUSD, 1e-6);
  assert.doesNotMatch(renderPlan(one), /of which entry/);
  assert.equal((split.unsplit as Record<string, unknown>).entryCostPerMillionUSD, undefined, 'the unsplit comparison is one function');
});

test('a split cheaper than one function only without its entry: mopar now keeps the one function', () => {
  // Cutting the 1.5 GB head off saves 6 % on Function Compute (beyond SPLIT_MARGIN), but the entry costs more than that.
  const profile = headProfile(1500);
  const p = getPlatform('alibaba-fc');
  const ctx = makeContext(profile, p, unitsOf(profile.layers, normalisedLayerMs(profile)));
  const opts = { horizontal: false, transports: TRANSPORTS };
  const headCut = new Set([5]);
  // The DP as it was before issue 27: the functions alone.
  const bare: DpProblem = { n: ctx.units.length, fixedCuts: headCut, options: (a, b) => segmentOptions(ctx, a, b, opts) };
  const before = minCostUnderSlo(bare, 1000)!;
  const cut = minCostUnderSlo(makeProblem(ctx, opts, headCut), 1000)!;
  const single = minCostUnderSlo(makeProblem(ctx, opts, new Set<number>()), 1000)!;
  assert.equal(cut.segments.length, 2);
  assert.equal(single.segments[0]!.opt.orchestrationUSD, undefined, 'one function pays no entry');
  assert.ok(before.costUSD < single.costUSD * (1 - SPLIT_MARGIN), `without the entry the split is cheaper: ${before.costUSD} vs ${single.costUSD}`);
  assert.ok(cut.costUSD > single.costUSD, `with it, dearer: ${cut.costUSD} vs ${single.costUSD}`);
  // The split's cost rose by the entry: its linear form over the chain (the rate over every segment's latency and
  // the request's own time, the fees once), at most what it costs on the old configurations (faster functions
  // may now pay: they shorten the entry's time).
  const entry = cut.segments.reduce((s, x) => s + (x.opt.orchestrationUSD ?? 0), 0);
  const rate = orchestrationRate(p);
  close(entry, rate.usdPerMs * (cut.latencyMs + ctx.requestExtraMs) + rate.fixedUSD, 1e-15);
  // (Both within the DP's COST_TIE: it returns the fastest plan within 0.5 % of the cheapest.)
  assert.ok(cut.costUSD - entry >= before.costUSD / (1 + COST_TIE), 'the functions cost no less than their own optimum');
  assert.ok(cut.costUSD <= (before.costUSD + rate.usdPerMs * (before.latencyMs + ctx.requestExtraMs) + rate.fixedUSD) * (1 + COST_TIE));
  const plan = planPartition(profile, { platform: 'alibaba-fc', sloMs: 1000 });
  assert.equal(plan.functions.length, 1);
  close(plan.predicted.costPerMillionUSD, single.costUSD * 1e6, 1e-5);
});
