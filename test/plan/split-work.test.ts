import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { concreteShape, openModel, type Graph } from '../../src/graph/index.js';
import { constantTensor, splitOverhead, splitWork, workOf, type SplitOption } from '../../src/graph/split/index.js';
import { profileModel, type Profile } from '../../src/profile/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { planPartition, getPlatform } from '../../src/plan/index.js';
import { computeMs, makeContext, PART_SPEED_VCPU, segmentCandidates, segmentOptions } from '../../src/plan/cost-model.js';
import { normalisedLayerMs, unitsOf, commonSplits } from '../../src/plan/units.js';
import { splitWorkModel } from '../../src/plan/split-work.js';
import { USELESS } from '../../src/plan/band-walk.js';
import { handOff, TRANSPORTS } from '../../src/plan/transports/index.js';
import { MoparError } from '../../src/core/errors.js';
import { checkPlan } from './check-plan.js';
import { CHANNEL, curve, syntheticProfile } from './synthetic.js';

let dir = '';
const models: Record<string, { profile: Profile; graph: Graph }> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-splitwork-'));
  for (const name of ['resnet50', 'bert-base']) {
    const file = join(dir, `${name}.onnx`);
    writeZooModel(name, file, { tiny: true });
    // The band model itself: without timed parts (split-efficiency.test.ts covers those).
    const profile = await profileModel(file, { runs: 1, cpuScaling: false, measureRss: false, splitParts: false });
    models[name] = { profile, graph: (await openModel(file, profile.inputShapes)).graph };
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs [first, last] of layers that all offer one split kind (with that kind's combined option). */
function splittableRuns(profile: Profile, minLayers: number) {
  const out: Array<{ first: number; last: number; split: SplitOption }> = [];
  const n = profile.layers.length;
  for (let first = 0; first < n; first++) {
    for (let last = first + minLayers - 1; last < n; last++) {
      for (const split of commonSplits(profile.layers.slice(first, last + 1).map((l) => l.splits))) out.push({ first, last, split });
    }
  }
  return out;
}

const nodesOf = (p: Profile, first: number, last: number) => p.layers.slice(first, last + 1).flatMap((l) => l.nodes);

test('the incremental band walk gives exactly graph/split\'s splitWork on every run of real tiny models', () => {
  for (const [name, { profile, graph }] of Object.entries(models)) {
    const fn = splitWorkModel(profile.layers, normalisedLayerMs(profile), graph);
    let equal = 0;
    let multi = 0;
    for (const { first, last, split } of splittableRuns(profile, 1)) {
      for (const k of [2, 3]) {
        if (k > split.maxParts) continue;
        const got = fn(first, last, split, k);
        const want = splitWork(graph, nodesOf(profile, first, last), split.kind, [k])[0];
        if (got) {
          assert.ok(want, `${name} [${first}, ${last}] ${split.kind} k=${k}: measured where graph/split cannot split`);
          assert.ok(Math.abs(got.total - want.total) < 1e-9 && Math.abs(got.maxPart - want.maxPart) < 1e-9,
            `${name} [${first}, ${last}] ${split.kind} k=${k}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
          equal++;
          if (last > first) multi++;
        } else if (want) {
          // Not offered only because a shorter run ending at the same layer was already useless.
          let stopped = false;
          for (let a = first + 1; a <= last && !stopped; a++) stopped = (fn(a, last, split, k)?.maxPart ?? 0) >= USELESS;
          assert.ok(stopped, `${name} [${first}, ${last}] ${split.kind} k=${k}: missing although graph/split measures ${JSON.stringify(want)}`);
        }
      }
    }
    assert.ok(equal > 20 && multi > 10, `${name}: ${equal} runs compared, ${multi} of several layers`);
  }
});

test('a multi-layer spatial split is charged its measured recomputation (= splitOverhead), not per-layer overheads', () => {
  const { profile, graph } = models.resnet50!;
  const ms = normalisedLayerMs(profile);
  const ctx = makeContext(profile, getPlatform('openfaas'), unitsOf(profile.layers, ms), graph);
  // The longest run of layers that all offer a spatial split.
  const runs = splittableRuns(profile, 3).filter((r) => r.split.kind === 'spatial' && r.split.maxParts >= 4);
  const run = runs.sort((x, y) => (y.last - y.first) - (x.last - x.first))[0]!;
  assert.ok(run.last - run.first >= 4, 'a run of several conv layers');
  const nodes = nodesOf(profile, run.first, run.last);
  const work = ctx.msPrefix[run.last + 1]! - ctx.msPrefix[run.first]!;
  const perLayerSum = profile.layers.slice(run.first, run.last + 1)
    .reduce((s, l) => s + (l.splits.find((x) => x.kind === 'spatial')?.overheadAt2 ?? 0), 0);
  let checked = 0;
  for (const k of [2, 4]) {
    const w = ctx.splitWork(run.first, run.last, run.split, k);
    const measured = splitOverhead(graph, nodes, 'spatial', k);
    if (!w) { assert.ok(measured >= USELESS * k - 1, `k=${k} dropped only when useless`); continue; }
    assert.ok(Math.abs(w.total - 1 - measured) <= 1e-3, `k=${k}: predicted overhead ${w.total - 1} vs splitOverhead ${measured}`);
    if (k === 2) assert.ok(measured > perLayerSum, `halos compound: ${measured} > Σ per-layer ${perLayerSum}`);
    // The cost model's option for this run and k runs the slowest part's work. Candidates before the Pareto cut:
    // on a tiny model whether a split survives it depends on measured timings.
    const opt = segmentCandidates(ctx, run.first, run.last, { horizontal: true, transports: TRANSPORTS })
      .find((o) => o.parts === k && o.kind === 'spatial');
    if (opt) {
      assert.ok(Math.abs(opt.computeMs - computeMs(ctx, work * w.maxPart, opt.config.vcpu)) < 1e-9);
      checked++;
    }
  }
  assert.ok(checked > 0, 'the cost model offered the measured split');
});

test('without a graph, every multi-layer run is charged no less than its real recomputation', () => {
  for (const [name, { profile, graph }] of Object.entries(models)) {
    // Layers weighted by the same work measure (multiply-accumulates) as graph/split's overheads, so that the
    // bound and the measurement are comparable (the planner itself weights layers by their measured time).
    const ctx = { shape: (t: string) => concreteShape(graph, t), opset: graph.opset, constant: (t: string) => constantTensor(graph, t) };
    const macs = profile.layers.map((l) => l.nodes.map((n) => graph.nodeByName.get(n)!).filter((n) => !n.isConstant)
      .reduce((s, n) => s + workOf(n, ctx), 0));
    const blind = splitWorkModel(profile.layers, macs);
    const seen = splitWorkModel(profile.layers, macs, graph);
    let n = 0;
    for (const { first, last, split } of splittableRuns(profile, 2)) {
      for (const k of [2, 4]) {
        const real = k <= split.maxParts ? seen(first, last, split, k) : undefined;
        const bound = real && blind(first, last, split, k);
        if (!real || !bound) continue;
        assert.ok(bound.total >= real.total - 1e-9 && bound.maxPart >= real.maxPart - 1e-9,
          `${name} [${first}, ${last}] ${split.kind} k=${k}: bound ${JSON.stringify(bound)} < ${JSON.stringify(real)}`);
        n++;
      }
    }
    assert.ok(n > 10, `${name}: ${n} runs compared`);
  }
});

test('planning with the graph gives valid plans; a graph of another model is refused', () => {
  const { profile, graph } = models.resnet50!;
  for (const strategy of ['mopar', 'gillis']) {
    const plan = planPartition(profile, { platform: 'openfaas', strategy, graph, allowSloMiss: true });
    checkPlan(plan, profile);
  }
  assert.throws(() => planPartition(profile, { platform: 'openfaas', graph: models['bert-base']!.graph }),
    (e: unknown) => e instanceof MoparError && /not the profiled model/.test(e.message));
});

test('a parallel group receives its inputs whole: the hand-in moves k copies of the cut', () => {
  const SPATIAL: SplitOption = { kind: 'spatial', maxParts: 8, weightsFractionPerPart: 'full', overheadAt2: 0.02 };
  const profile = syntheticProfile([
    { ms: 50, paramMB: 1, actMB: 10, cutBytes: 3_000_000 },
    { ms: 400, paramMB: 1, actMB: 10, cutBytes: 3_000_000, splits: [SPATIAL] },
    { ms: 5, paramMB: 1, actMB: 1, cutBytes: 4000 },
  ]);
  for (const id of ['aws-lambda', 'openfaas']) {
    const p = getPlatform(id);
    const ctx = makeContext(profile, p, unitsOf(profile.layers, normalisedLayerMs(profile)));
    const opts = segmentOptions(ctx, 1, 1, { horizontal: true, transports: TRANSPORTS });
    let k4 = 0;
    for (const o of opts) {
      const want = handOff(p, 3_000_000, o.parts, TRANSPORTS)!;
      assert.equal(o.handIn!.latencyMs, want.latencyMs, `${id} k=${o.parts}`);
      assert.equal(o.handIn!.transport, want.transport);
      if (o.parts === 4) k4++;
    }
    assert.ok(k4 > 0, `${id}: a 4-way split is offered`);
  }
});

test('a part of a horizontal split is planned at one thread\'s speed: the whole model\'s 2-thread gain is not extrapolated to its parts', () => {
  const heavy = { ms: 80, paramMB: 40, actMB: 2, cutBytes: 200_000, splits: [CHANNEL] };
  const profile = syntheticProfile([{ ms: 2, paramMB: 1, actMB: 1, cutBytes: 200_000 }, heavy, { ms: 2, paramMB: 1, actMB: 1, cutBytes: 4_000 }],
    { scaling: curve(84, 1.9) });
  const ctx = makeContext(profile, getPlatform('gcp-cloud-run'), unitsOf(profile.layers, normalisedLayerMs(profile)));
  const all = segmentCandidates(ctx, 1, 1, { horizontal: true, transports: TRANSPORTS });
  const whole = all.filter((o) => o.parts === 1);
  const parts = all.filter((o) => o.parts > 1);
  assert.ok(whole.some((o) => o.config.vcpu >= 2), 'one function may still use 2 vCPU');
  assert.ok(whole.find((o) => o.config.vcpu >= 2)!.computeMs < whole.find((o) => o.config.vcpu === 1)!.computeMs / 1.5, 'and runs faster there');
  assert.ok(parts.length > 0, 'the layer is split');
  for (const o of parts) {
    assert.ok(o.config.vcpu <= PART_SPEED_VCPU, `a ${o.parts}-way part is not offered ${o.config.vcpu} vCPU it cannot use`);
    const w = ctx.splitWork(ctx.units[1]!.first, ctx.units[1]!.last, CHANNEL, o.parts)!;
    const atOneThread = computeMs(ctx, (ctx.msPrefix[2]! - ctx.msPrefix[1]!) * w.maxPart, 1);
    assert.ok(o.computeMs >= atOneThread - 1e-9, `a ${o.parts}-way part at ${o.config.vcpu} vCPU is no faster than one thread (${o.computeMs} vs ${atOneThread})`);
  }
  // On Lambda a big part's memory brings more than 1 vCPU with it: it is still timed at one thread's speed.
  const bigProfile = syntheticProfile([{ ms: 2, paramMB: 1, actMB: 1, cutBytes: 200_000 }, { ...heavy, paramMB: 6000 }, { ms: 2, paramMB: 1, actMB: 1, cutBytes: 4_000 }],
    { scaling: curve(84, 1.9) });
  const lambda = makeContext(bigProfile, getPlatform('aws-lambda'), unitsOf(bigProfile.layers, normalisedLayerMs(bigProfile)));
  const big = segmentCandidates(lambda, 1, 1, { horizontal: true, transports: TRANSPORTS }).filter((o) => o.parts > 1 && o.config.vcpu > 1);
  assert.ok(big.length > 0, 'memory forces more than 1 vCPU on some part');
  for (const o of big) {
    const w = lambda.splitWork(lambda.units[1]!.first, lambda.units[1]!.last, CHANNEL, o.parts)!;
    assert.ok(Math.abs(o.computeMs - computeMs(lambda, (lambda.msPrefix[2]! - lambda.msPrefix[1]!) * w.maxPart, 1)) < 1e-9, `${o.parts} parts at ${o.config.vcpu} vCPU timed at one thread`);
  }
});
