import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusyShare, BusyShares, BUSY_WINDOW_MS } from '../../src/runtime/utilisation.js';

test('busy share: an exponentially weighted mean of being busy over BUSY_WINDOW_MS', () => {
  const s = new BusyShare(0);
  assert.equal(s.at(5_000), 0, 'idle since the start');
  s.set(true, 0);
  assert.ok(Math.abs(s.at(BUSY_WINDOW_MS) - (1 - Math.exp(-1))) < 1e-12, 'busy one window: 1 − 1/e');
  s.set(false, BUSY_WINDOW_MS);
  const after = s.at(2 * BUSY_WINDOW_MS);
  assert.ok(Math.abs(after - (1 - Math.exp(-1)) * Math.exp(-1)) < 1e-12, 'then idle one window: decays by 1/e');
  // Busy 60 % of every second for long: the share settles near 0.6 (what Cloud Run's target compares with).
  const t = new BusyShare(0);
  for (let k = 0; k < 200; k++) { t.set(true, k * 1000); t.set(false, k * 1000 + 600); }
  const settled = t.at(200_000);
  assert.ok(settled > 0.55 && settled < 0.65, `settled at ${settled}`);
});

test('busy shares of a pool: the mean over the instances asked, an unknown instance idle', () => {
  const shares = new BusyShares();
  const a = {};
  const b = {};
  shares.set(a, true, 0);
  assert.equal(shares.mean([], 1000), 0);
  const one = shares.mean([a], BUSY_WINDOW_MS);
  assert.ok(Math.abs(shares.mean([a, b], BUSY_WINDOW_MS) - one / 2) < 1e-12, 'b never busy counts as 0');
});
