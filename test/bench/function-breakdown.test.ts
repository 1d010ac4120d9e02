/** functionBreakdown: each planned function's predicted compute beside its measured calls (medians), in plan order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionBreakdown, furthestFromPlan, type Calls } from '../../src/bench/index.js';
import type { Plan } from '../../src/plan/index.js';

const fn = (name: string, group: string, ms: number, handInMs?: number) =>
  ({ name, group, vcpu: 1, memoryMB: 256, nodes: [], layers: [0, 0], predicted: { ms, costPerMillionUSD: 0, peakMB: 0, ...(handInMs !== undefined ? { handInMs } : {}) } });
const plan = { functions: [fn('a', 'g0', 2), fn('b', 'g1', 4, 1.5), fn('c', 'g1', 0), fn('never', 'g2', 1)] } as unknown as Plan;
const call = (f: string, ms: number, runMs: number) => ({ fn: f, ms, stats: { runMs } }) as unknown as Calls[number];

test('medians per function over the requests, in plan order; functions never called are left out', () => {
  const requests: Calls[] = [
    [call('a', 3, 2.5), call('b', 9, 8), call('c', 1, 0.2)],
    [call('a', 5, 4.5), call('b', 7, 6), call('c', 1, 0.4)],
    [call('a', 4, 3.5), call('b', 8, 7), call('c', 3, 0.3)],
  ];
  const out = functionBreakdown(plan, requests);
  assert.deepEqual(out.map((f) => f.name), ['a', 'b', 'c']);
  assert.deepEqual(out[0], { name: 'a', group: 'g0', vcpu: 1, predicted: { computeMs: 2, handInMs: 0 }, measured: { callMs: 4, runMs: 3.5, calls: 3 }, runRatio: 1.75 });
  assert.deepEqual(out[1]!.predicted, { computeMs: 4, handInMs: 1.5 });
  assert.equal(out[1]!.runRatio, 7 / 4);
  assert.equal(out[2]!.runRatio, null, 'no planned compute: no ratio');
  // b ran 3 ms over its plan, a 1.5, c 0.3.
  assert.deepEqual(furthestFromPlan(out, 2).map((f) => f.name), ['b', 'a']);
});
