/**
 * Issue 29: a Cloud Run instance serving requests concurrently is billed instance time while at least one request
 * is active (plan/billing.ts concurrentInstanceUSD), not each request's duration: overlaps are billed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { billedMs, busyPeriods, concurrentInstanceUSD, getPlatform, measuredInvocationUSD, usdPerSecond } from '../../src/plan/index.js';

const fn = { memoryMB: 1024, vcpu: 1 };
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-15, `${what}: ${a} vs ${b}`);

test('busy periods: overlapping and touching spans merge, apart ones stay apart, in time order', () => {
  assert.deepEqual(busyPeriods([]), []);
  assert.deepEqual(busyPeriods([[500, 600], [0, 100], [50, 250], [250, 300]]), [[0, 300], [500, 600]]);
  assert.deepEqual(busyPeriods([[0, 1000], [10, 20], [30, 40]]), [[0, 1000]], 'nested spans add nothing');
});

test('concurrent instance bill: overlapping requests on one instance billed once for the overlap (Cloud Run, 100 ms granule)', () => {
  const p = getPlatform('gcp-cloud-run');
  const perMs = usdPerSecond(p, fn) / 1000;
  // Three requests of 150 ms, 150 ms and 100 ms overlapping in 0–250 ms: one busy period of 250 → 300 ms billed,
  // where billed one by one they are 200 + 200 + 100 = 500 ms.
  const spans: Array<[number, number]> = [[0, 150], [100, 250], [120, 220]];
  close(concurrentInstanceUSD(p, fn, spans), 300 * perMs + 3 * p.price.perRequest, 'one busy period');
  const alone = spans.reduce((s, [a, b]) => s + measuredInvocationUSD(p, fn, b - a), 0);
  close(alone, 500 * perMs + 3 * p.price.perRequest, 'per request');
  assert.ok(concurrentInstanceUSD(p, fn, spans) < alone);
  // Two busy periods (an idle gap between): each rounded up on its own, 100 + 200 ms.
  close(concurrentInstanceUSD(p, fn, [[0, 40], [1000, 1150]]), 300 * perMs + 2 * p.price.perRequest, 'two busy periods');
  // One request alone: exactly a measured invocation.
  close(concurrentInstanceUSD(p, fn, [[7, 7 + 123.4]]), measuredInvocationUSD(p, fn, 123.4), 'one request');
  assert.equal(concurrentInstanceUSD(p, fn, []), 0);
  assert.equal(billedMs(250, p.price.granularityMs), 300);
});
