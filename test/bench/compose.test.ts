/** Requests composed along the DAG from one-at-a-time calls (bench/compose.ts), by hand-computed examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeRequest, composition, measurePlan, parallelWidth, tapCalls } from '../../src/bench/index.js';
import { DEFAULT_GATEWAY, Gateway, infer, modelMetadata, randomFeeds, type InferResult } from '../../src/runtime/index.js';
import { writeParallelParts } from './parallel-parts.js';

type Fn = { name: string; inputs: string[]; outputs: string[]; vcpu: number };
const fn = (name: string, inputs: string[], outputs: string[], vcpu = 1): Fn => ({ name, inputs, outputs, vcpu });
const calls = (t: Record<string, number>) => Object.entries(t).map(([f, ms]) => ({ fn: f, ms })) as unknown as InferResult['calls'];

// x → head → (left | right) → join → y
const diamond = (vcpu = 1) => ({
  inputs: ['x'], outputs: ['y'],
  functions: [fn('head', ['x'], ['h']), fn('left', ['h'], ['l'], vcpu), fn('right', ['h'], ['r'], vcpu), fn('join', ['l', 'r'], ['y'])],
});

test('a diamond: the overhead outside the calls once, plus the longest path of the calls', () => {
  // One at a time the calls took 1 + 5 + 7 + 2 = 15 ms of an 18 ms request: 3 ms outside them.
  assert.equal(composeRequest(diamond(), 18, calls({ head: 1, left: 5, right: 7, join: 2 })), 3 + 1 + 7 + 2);
});

test('a chain composes to the request as measured (nothing runs in parallel)', () => {
  const chain = { inputs: ['x'], outputs: ['y'], functions: [fn('a', ['x'], ['t']), fn('b', ['t'], ['y'])] };
  assert.equal(composeRequest(chain, 12, calls({ a: 4, b: 6 })), 12);
});

test('two parallel branches without a join: the slower branch plus the overhead', () => {
  const g = { inputs: ['x'], outputs: ['ya', 'yb'], functions: [fn('a', ['x'], ['ya']), fn('b', ['x'], ['yb'])] };
  assert.equal(composeRequest(g, 10, calls({ a: 3, b: 5 })), 2 + 5);
});

test('percentiles are taken over the composed requests; validation is served p50 ÷ composed p50', () => {
  const lat = [18, 20, 22];
  const per = [calls({ head: 1, left: 5, right: 7, join: 2 }), calls({ head: 1, left: 6, right: 8, join: 2 }), calls({ head: 1, left: 7, right: 9, join: 2 })];
  // Composed: 3 + 10, 3 + 11, 3 + 12.
  const c = composition(diamond(), lat, per, [15, 14, 16]);
  assert.deepEqual(c.lat, [13, 14, 15]);
  assert.equal(c.p50Ms, 14);
  assert.equal(c.p99Ms, 15);
  assert.deepEqual(c.validation, { servedP50Ms: 15, composedP50Ms: 14, ratio: 15 / 14 });
  assert.equal(composition(diamond(), lat, per).validation, undefined, 'no concurrent run: nothing to validate');
});

test('what is measured: served without parallel functions, composed where their vCPU exceed the cores, both where they fit', () => {
  assert.deepEqual(parallelWidth(diamond(1.5)), { functions: 2, vcpu: 3 });
  const chain = { inputs: ['x'], outputs: ['y'], functions: [fn('a', ['x'], ['t'], 4), fn('b', ['t'], ['y'], 4)] };
  assert.equal(measurePlan(chain, 2), 'served');
  assert.equal(measurePlan(diamond(1), 2), 'validate');
  assert.equal(measurePlan(diamond(1.5), 2), 'composed');
  assert.equal(measurePlan(diamond(1.5), 4), 'validate');
});

test('the tap hands over each served request\'s own calls, one record per request', { timeout: 60_000 }, async () => {
  const d = mkdtempSync(join(tmpdir(), 'mopar-tap-'));
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true, oneAtATime: true });
  try {
    const { parts } = await writeParallelParts(d);
    const name = gw.addModel(parts, 'p');
    const tap = tapCalls(gw, name);
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const feeds = randomFeeds(await modelMetadata(url, name), 1);
    await infer(url, name, feeds);
    const [one, ...rest] = tap.take();
    assert.equal(rest.length, 0);
    assert.deepEqual(one!.map((c) => c.fn).sort(), ['s0.0', 's0.1', 's1']);
    assert.ok(one!.every((c) => c.ms > 0));
    // One at a time: no call starts before the previous one ended.
    const sorted = [...one!].sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.startMs >= sorted[i - 1]!.startMs + sorted[i - 1]!.ms - 1e-6);
    assert.deepEqual(tap.take(), [], 'taken records are cleared');
  } finally {
    await gw.close();
    rmSync(d, { recursive: true, force: true });
  }
});
