import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spreadOf, stopReason, defaultStopRule, SPREAD_BOUND } from '../../src/profile/stability.js';

const rule = { minRuns: 5, maxRuns: 12, bound: 0.1, maxMs: 1000 };

test('stability: spread is (p90 − p10) / p50', () => {
  assert.equal(spreadOf([10, 10, 10, 10]), 0);
  // Sorted 10..19: p10 10.9, p50 14.5, p90 18.1.
  const xs = Array.from({ length: 10 }, (_, i) => 19 - i);
  assert.ok(Math.abs(spreadOf(xs) - 7.2 / 14.5) < 1e-12);
  assert.equal(spreadOf([5]), Infinity);
});

test('stability: never stops before minRuns, stops once the spread is within the bound', () => {
  assert.equal(stopReason([10, 10, 10, 10], rule), undefined, 'four settled runs are still below minRuns');
  assert.equal(stopReason([10, 10, 10, 10, 10], rule), 'converged');
  // A noisy start keeps it going; settling later converges.
  const noisy = [10, 30, 10, 25, 10];
  assert.equal(stopReason(noisy, rule), undefined);
  const settled = [...noisy, ...Array(20).fill(10)];
  assert.equal(stopReason(settled.slice(0, 12), rule), 'limit', 'still unsettled at the run limit');
  assert.equal(stopReason([30, ...Array(11).fill(10)], rule), 'converged', 'one outlier among twelve is past p90');
});

test('stability: the run limit and the time limit stop an unsettled measurement', () => {
  const alternating = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? 10 : 20));
  assert.equal(stopReason(alternating(11), rule), undefined);
  assert.equal(stopReason(alternating(12), rule), 'limit');
  assert.equal(stopReason([400, 100, 400, 100, 400], rule), 'limit', '1400 ms of runs is past maxMs');
  // The default rule: at least the asked-for runs (and 5), the stated bound.
  assert.deepEqual([defaultStopRule(3).minRuns, defaultStopRule(10).minRuns, defaultStopRule(10).bound], [5, 10, SPREAD_BOUND]);
});
