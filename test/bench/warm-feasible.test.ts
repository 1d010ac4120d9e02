// Which deadlines a warm function can meet (issue 29's `deadlinesMetOfWarmFeasible`, bench/sparse.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadlinesMetOfWarmFeasible, warmFeasible, warmFeasibleDeadlineMs } from '../../src/bench/warm-feasible.js';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

test('a deadline is warm-feasible when ≥ 99 % of the warm latencies meet it (its empirical p99), boundary included', () => {
  assert.equal(warmFeasible(99, oneToHundred), true); // 99 of 100 within: one slow warm request is allowed
  assert.equal(warmFeasible(98.9, oneToHundred), false); // 98 of 100: not a p50, not a mean
  assert.equal(warmFeasible(50.5, oneToHundred), false);
  assert.equal(warmFeasible(100, oneToHundred), true);
  assert.equal(warmFeasibleDeadlineMs(oneToHundred), 99); // not the maximum
});

test('with few warm samples 99 % rounds up: 19 of 20 is not enough', () => {
  const twenty = [...Array.from({ length: 19 }, () => 3), 25];
  assert.equal(warmFeasible(10, twenty), false);
  assert.equal(warmFeasible(25, twenty), true);
  assert.equal(warmFeasibleDeadlineMs(twenty), 25);
  // Unsorted input, and the threshold agrees with the predicate on both sides of it.
  const xs = [7, 3, 12, 5, 9, 4, 11, 6, 8, 10];
  const t = warmFeasibleDeadlineMs(xs);
  assert.equal(t, 12);
  assert.equal(warmFeasible(t, xs), true);
  assert.equal(warmFeasible(t - 0.01, xs), false);
  assert.equal(warmFeasibleDeadlineMs(xs, 0.5), 7);
  assert.equal(warmFeasible(7, xs, 0.5), true);
  assert.equal(warmFeasible(6.99, xs, 0.5), false);
});

test('deadlinesMetOfWarmFeasible counts only the requests whose deadline is warm-feasible', () => {
  const warm = Array.from({ length: 10 }, (_, i) => 10 + i); // 10…19 ms: deadlines ≥ 19 ms are warm-feasible
  const r = deadlinesMetOfWarmFeasible([
    { deadlineMs: 5, met: false }, // no warm function meets 5 ms: left out
    { deadlineMs: 50, met: true },
    { deadlineMs: 50, met: false },
    { deadlineMs: 19, met: true },
  ], warm);
  assert.deepEqual(r, { feasible: 3, met: 2, share: 2 / 3 });
  assert.deepEqual(deadlinesMetOfWarmFeasible([{ deadlineMs: 5, met: false }], warm), { feasible: 0, met: 0, share: null });
  assert.throws(() => warmFeasible(10, []), /at least one warm latency/);
});
