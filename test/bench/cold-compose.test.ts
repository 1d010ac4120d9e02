/** Cold requests composed from cold starts measured alone and warm calls one at a time (bench/cold-compose.ts), by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeCold, composeColdRequest, type ColdPhases } from '../../src/bench/index.js';
import type { InferResult } from '../../src/runtime/index.js';

const fn = (name: string, inputs: string[], outputs: string[]) => ({ name, inputs, outputs });
const calls = (t: Record<string, number>) => Object.entries(t).map(([f, ms]) => ({ fn: f, ms })) as unknown as InferResult['calls'];
const phases = (t: Record<string, number>): ColdPhases[] => Object.entries(t).map(([f, ms]) => ({ fn: f, totalMs: ms, spawnMs: 0, fetchMs: 0, loadMs: 0, fetchedMB: 0 }));

const chain = { inputs: ['x'], outputs: ['y'], functions: [fn('a', ['x'], ['t']), fn('b', ['t'], ['y'])] };
const unsplit = { inputs: ['x'], outputs: ['y'], functions: [fn('s00', ['x'], ['y'])] };

test('unsplit: its cold start, then its warm call, plus the time outside the call once', () => {
  // 230 ms request, 200 ms of it the call: 30 ms outside.
  const r = composeColdRequest(unsplit, 230, calls({ s00: 200 }), { s00: 5000 });
  assert.equal(r.ms, 30 + 5000 + 200);
  assert.equal(r.outsideMs, 30);
  assert.deepEqual(r.path, ['s00']);
});

test('a chain whose second slice loads longest: the first computes while it loads, the request waits for it', () => {
  // a up at 1000, runs 100 → t at 1100; b up at 3000, runs 50 → 3050; 10 ms outside.
  const r = composeColdRequest(chain, 160, calls({ a: 100, b: 50 }), { a: 1000, b: 3000 });
  assert.equal(r.ms, 10 + 3050);
  assert.deepEqual(r.path, ['b']);
});

test('a chain whose first slice loads longest: the cold starts overlap, the second waits for its input', () => {
  const r = composeColdRequest(chain, 160, calls({ a: 100, b: 50 }), { a: 3000, b: 1000 });
  assert.equal(r.ms, 10 + 3000 + 100 + 50);
  assert.deepEqual(r.path, ['a', 'b']);
});

test('the median over warm requests; a function with no cold start measured is an error', () => {
  const c = composeCold(chain, [160, 170, 200], [calls({ a: 100, b: 50 }), calls({ a: 110, b: 50 }), calls({ a: 100, b: 60 })], phases({ a: 1000, b: 3000 }));
  // Outside 10, 10, 40; b ends 3050, 3050, 3060 → 3060, 3060, 3100.
  assert.equal(c.coldMs, 3060);
  assert.equal(c.outsideMs, 10);
  assert.equal(c.measuredAs, 'composed');
  assert.deepEqual(c.readyAtMs, { a: 1000, b: 3000 });
  assert.throws(() => composeCold(chain, [160], [calls({ a: 100, b: 50 })], phases({ a: 1000 })), /no cold start measured for function 'b'/);
});
