/** plan `alternatives` and `why`: every strategy's best plan at the chosen plan's SLO, and one sentence on the choice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPartition, whyChosen, type PlanAlternative } from '../../src/plan/index.js';
import { randomProfile } from './synthetic.js';

test('plan with alternatives lists each strategy at the same SLO and agrees with planning each alone', () => {
  const profile = randomProfile(12, 3);
  const plan = planPartition(profile, { platform: 'gcp-cloud-run', alternatives: true });
  const alts = plan.alternatives!;
  const names = alts.map((a) => a.strategy);
  for (const s of ['mopar', 'unsplit', 'layerwise', 'gillis', 'amps']) assert.ok(names.includes(s), `${s} listed`);
  assert.ok(names.some((n) => n.startsWith('uniform:')), 'one uniform:K listed');
  assert.equal(new Set(names).size, names.length, 'one row per strategy');
  for (const a of alts) {
    const alone = planPartition(profile, { platform: 'gcp-cloud-run', strategy: a.strategy, sloMs: plan.sloMs, allowSloMiss: true });
    assert.equal(a.functions, alone.functions.length, a.strategy);
    assert.equal(a.predicted.costPerMillionUSD, alone.predicted.costPerMillionUSD, a.strategy);
    assert.equal(a.predicted.latencyMs, alone.predicted.latencyMs, a.strategy);
    assert.equal(a.sloMet, alone.sloMet !== false, a.strategy);
  }
  // Preferred first: SLO met, then cheapest. mopar minimises cost under the SLO, so nothing that meets it is cheaper.
  const met = alts.filter((a) => a.sloMet);
  for (let i = 1; i < met.length; i++) assert.ok(met[i - 1]!.predicted.costPerMillionUSD <= met[i]!.predicted.costPerMillionUSD);
  const mine = alts.find((a) => a.strategy === 'mopar')!;
  assert.ok(met.every((a) => a.predicted.costPerMillionUSD >= mine.predicted.costPerMillionUSD - 1e-9));
  assert.equal(typeof plan.why, 'string');
  assert.ok(plan.why!.length > 10 && !plan.why!.includes('\n'));
  // Without the option the plan stays as it was (bench plans thousands).
  assert.equal(planPartition(profile, { platform: 'gcp-cloud-run' }).alternatives, undefined);
});

const alt = (strategy: string, functions: number, cost: number, ms: number, extra: Partial<PlanAlternative> = {}): PlanAlternative => ({
  strategy, functions, groups: functions, sloMet: true, predicted: { latencyMs: ms, costPerMillionUSD: cost },
  handOffs: { count: functions - 1, bytes: (functions - 1) * 1.2 * 2 ** 20 }, memoryMBs: 100, ...extra,
});

test('why: one function names the split it beat, with hand-offs, memory and cost', () => {
  const one = alt('mopar', 1, 1.0, 50);
  const split = alt('uniform:3', 3, 1.04, 60, { memoryMBs: 97 });
  assert.equal(whyChosen(one, [one, split]),
    'one function: the best split (uniform:3, 3 functions) adds 2 hand-offs of 2.4 MB and saves 3 % of memory-time: +4 % cost.');
});

test("why: a split's entry is named with its price", () => {
  const one = alt('mopar', 1, 1.0, 50);
  const split = alt('uniform:2', 2, 1.3, 45, { predicted: { latencyMs: 45, costPerMillionUSD: 1.3, entryCostPerMillionUSD: 0.25 } });
  assert.equal(whyChosen(one, [one, split]),
    'one function: the best split (uniform:2, 2 functions) adds 1 hand-off of 1.2 MB, an entry ($0.2500 per million requests) and saves 0 % of memory-time: +30 % cost.');
  // And the alternatives carry it from the plan.
  const plan = planPartition(randomProfile(12, 3), { platform: 'gcp-cloud-run', strategy: 'uniform:2', alternatives: true });
  assert.equal(plan.alternatives!.find((a) => a.strategy === 'uniform:2')!.predicted.entryCostPerMillionUSD, plan.predicted.entryCostPerMillionUSD);
  assert.ok(plan.predicted.entryCostPerMillionUSD! > 0);
});

test('why: a split says what it adds and saves against one function', () => {
  const split = alt('mopar', 2, 0.9, 50, { memoryMBs: 60 });
  const one = alt('unsplit', 1, 1.0, 45);
  assert.equal(whyChosen(split, [split, one]),
    'splitting into 2 functions adds 1 hand-off of 1.2 MB and saves 40 % of memory-time: −10 % cost vs one function.');
});

test('why: a strategy that was asked for and is dearer than the best says so', () => {
  const asked = alt('layerwise', 8, 2.0, 80);
  const best = alt('mopar', 1, 1.0, 50);
  assert.match(whyChosen(asked, [best, asked]), /^layerwise was asked for; mopar \(1 function\) would cost −50 % at the same SLO\.$/);
});

test('why: when every split misses the SLO, one function says so', () => {
  const one = alt('mopar', 1, 1.0, 50);
  const slow = alt('uniform:2', 2, 1.5, 90, { sloMet: false });
  assert.match(whyChosen(one, [one, slow]), /^one function: every split misses the SLO \(the fastest, uniform:2, takes 90\.0 ms\)\.$/);
});
