/** The keep-alive policies on hand-made idle-time sequences (no processes, no timers). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HISTOGRAM, IdleTimeHistogram, KeepAlivePolicy, parseKeepAlive } from '../../src/runtime/index.js';

const opts = { ...DEFAULT_HISTOGRAM, rangeMs: 10_000, binMs: 100, minSamples: 10, margin: 0.1 };

test('fixed: the same keep-alive whatever was seen', () => {
  const p = new KeepAlivePolicy({ kind: 'fixed', ms: 1500 });
  for (const ms of [10, 5000, 9000]) p.recordIdle(ms);
  assert.deepEqual(p.decide(), { prewarmAfterMs: 0, keepAliveMs: 1500, source: 'fixed' });
});

test('histogram: falls back to the fixed keep-alive until it has enough samples', () => {
  const p = new KeepAlivePolicy({ kind: 'histogram', fallbackMs: 700, histogram: opts });
  for (let i = 0; i < 9; i++) p.recordIdle(3000);
  assert.deepEqual(p.decide(), { prewarmAfterMs: 0, keepAliveMs: 700, source: 'fixed' });
  p.recordIdle(3000);
  assert.equal(p.decide().source, 'histogram');
});

test('histogram: regular gaps of ~3 s: unload, pre-warm just before the head, keep until past the tail', () => {
  const h = new IdleTimeHistogram(opts);
  // 100 idle times spread over 3.0–3.99 s (bins 30..39).
  for (let i = 0; i < 100; i++) h.record(3000 + (i % 10) * 100 + 50);
  const d = h.decide(700);
  assert.equal(d.source, 'histogram');
  // Head: 5th percentile is bin 30 (3.0 s), less 10 %: 2.7 s. Tail: 99th percentile is bin 39, upper edge 4.0 s, plus 10 %: 4.4 s.
  assert.ok(Math.abs(d.prewarmAfterMs - 2700) < 1e-9, `prewarm ${d.prewarmAfterMs}`);
  assert.ok(Math.abs(d.prewarmAfterMs + d.keepAliveMs - 4400) < 1e-9, `window end ${d.prewarmAfterMs + d.keepAliveMs}`);
});

test('histogram: back-to-back invocations in the head: stay loaded (no pre-warm gap) until the tail', () => {
  const h = new IdleTimeHistogram(opts);
  for (let i = 0; i < 50; i++) h.record(20); // bin 0
  for (let i = 0; i < 50; i++) h.record(1950); // bin 19
  const d = h.decide(700);
  assert.equal(d.prewarmAfterMs, 0);
  assert.ok(Math.abs(d.keepAliveMs - 2200) < 1e-9, `keep-alive ${d.keepAliveMs}`); // (19 + 1) × 100 × 1.1
});

test('histogram: percentiles follow the distribution (a heavy tail lengthens the keep-alive window)', () => {
  const h = new IdleTimeHistogram(opts);
  for (let i = 0; i < 95; i++) h.record(1000);
  for (let i = 0; i < 5; i++) h.record(8000);
  assert.equal(h.percentileBin(5), 10);
  assert.equal(h.percentileBin(95), 10);
  assert.equal(h.percentileBin(99), 80);
  const d = h.decide(700);
  assert.ok(Math.abs(d.prewarmAfterMs + d.keepAliveMs - 81 * 100 * 1.1) < 1e-9);
});

test('histogram: too many idle times beyond its range: the fixed keep-alive applies', () => {
  const h = new IdleTimeHistogram({ ...opts, maxOutOfRange: 0.5 });
  for (let i = 0; i < 20; i++) h.record(1000);
  for (let i = 0; i < 21; i++) h.record(60_000);
  assert.deepEqual(h.samples, { inRange: 20, outOfRange: 21 });
  assert.deepEqual(h.decide(700), { prewarmAfterMs: 0, keepAliveMs: 700, source: 'fixed' });
  h.record(1000);
  h.record(1000);
  assert.equal(h.decide(700).source, 'histogram');
});

test('parseKeepAlive: fixed:MS, histogram with options, clear errors', () => {
  assert.deepEqual(parseKeepAlive('fixed:2500', 600_000), { kind: 'fixed', ms: 2500 });
  const h = parseKeepAlive('histogram', 1000);
  assert.equal(h.kind, 'histogram');
  assert.deepEqual(h.kind === 'histogram' && h.histogram, DEFAULT_HISTOGRAM);
  const h2 = parseKeepAlive('histogram:range=60000,bin=50,head=10,tail=95,min=5', 1000);
  assert.ok(h2.kind === 'histogram' && h2.histogram.rangeMs === 60_000 && h2.histogram.binMs === 50 && h2.histogram.headPct === 10 && h2.histogram.tailPct === 95 && h2.histogram.minSamples === 5 && h2.fallbackMs === 1000);
  assert.throws(() => parseKeepAlive('fixed', 1), /fixed:MS/);
  assert.throws(() => parseKeepAlive('fixed:-1', 1), /fixed:MS/);
  assert.throws(() => parseKeepAlive('lru', 1), /must be fixed:MS or histogram/);
  assert.throws(() => parseKeepAlive('histogram:head=99,tail=5', 1), /head < tail/);
  assert.throws(() => parseKeepAlive('histogram:speed=3', 1), /'speed=3' is not one of/);
  assert.throws(() => parseKeepAlive('histogram:bin=0', 1), /bin must be > 0/);
});
