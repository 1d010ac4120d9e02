/** dataflowSchedule: a manifest's functions laid out in time as a platform with one machine per function runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataflowSchedule, type DataflowFunction } from '../../src/core/index.js';

const fn = (name: string, inputs: string[], outputs: string[]): DataflowFunction => ({ name, inputs, outputs });
const ms = (t: Record<string, number>) => (f: DataflowFunction) => t[f.name]!;

test('a chain: the functions one after another, the sum of their times', () => {
  const g = { inputs: ['x'], outputs: ['c'], functions: [fn('a', ['x'], ['a1']), fn('b', ['a1'], ['b1']), fn('c', ['b1'], ['c'])] };
  const s = dataflowSchedule(g, ms({ a: 2, b: 3, c: 4 }));
  assert.equal(s.ms, 9);
  assert.deepEqual(s.start, { a: 0, b: 2, c: 5 });
  assert.deepEqual(s.finish, { a: 2, b: 5, c: 9 });
  assert.deepEqual(s.path, ['a', 'b', 'c']);
});

test('a diamond: the join starts when its slower input exists; the longest path is the latency', () => {
  // x → head → (left 5 | right 7) → join
  const g = {
    inputs: ['x'], outputs: ['y'],
    functions: [fn('head', ['x'], ['h']), fn('left', ['h'], ['l']), fn('right', ['h'], ['r']), fn('join', ['l', 'r'], ['y'])],
  };
  const s = dataflowSchedule(g, ms({ head: 1, left: 5, right: 7, join: 2 }));
  assert.equal(s.ms, 1 + 7 + 2);
  assert.equal(s.start.left, 1);
  assert.equal(s.start.right, 1);
  assert.equal(s.start.join, 8);
  assert.deepEqual(s.path, ['head', 'right', 'join']);
  // Equal durations give each function its depth: the two branches can run at once.
  assert.deepEqual(dataflowSchedule(g, () => 1).start, { head: 0, left: 1, right: 1, join: 2 });
});

test('two parallel branches to two model outputs: the later output ends the request', () => {
  // x → a1 → a2 → ya ; x → b → yb (no join)
  const g = { inputs: ['x'], outputs: ['ya', 'yb'], functions: [fn('a1', ['x'], ['t']), fn('b', ['x'], ['yb']), fn('a2', ['t'], ['ya'])] };
  const s = dataflowSchedule(g, ms({ a1: 3, a2: 3, b: 10 }));
  assert.equal(s.ms, 10);
  assert.deepEqual(s.path, ['b']);
  const t = dataflowSchedule(g, ms({ a1: 3, a2: 3, b: 4 }));
  assert.equal(t.ms, 6);
  assert.deepEqual(t.path, ['a1', 'a2']);
  assert.equal(t.finish.b, 4, 'the shorter branch still has its own times');
});

test('a function reading a model input beside an upstream tensor waits only for the upstream one', () => {
  const g = { inputs: ['x', 'z'], outputs: ['y'], functions: [fn('a', ['x'], ['t']), fn('b', ['z', 't'], ['y'])] };
  const s = dataflowSchedule(g, ms({ a: 4, b: 1 }));
  assert.equal(s.start.b, 4);
  assert.equal(s.ms, 5);
});

test('a cycle is a broken manifest', () => {
  const g = { inputs: ['x'], outputs: ['y'], functions: [fn('a', ['x', 'q'], ['p']), fn('b', ['p'], ['q', 'y'])] };
  assert.throws(() => dataflowSchedule(g, () => 1), /depends on itself/);
});

test('readyAt (a cold start under proactive warm-up) dominates: the function waits for its instance, the path begins there', () => {
  // x → a → b → c; every instance starts when the request enters, b's takes longest to come up.
  const g = { inputs: ['x'], outputs: ['c'], functions: [fn('a', ['x'], ['a1']), fn('b', ['a1'], ['b1']), fn('c', ['b1'], ['c'])] };
  const s = dataflowSchedule(g, ms({ a: 2, b: 3, c: 4 }), { readyAtMs: ms({ a: 10, b: 50, c: 20 }) });
  assert.deepEqual(s.start, { a: 10, b: 50, c: 53 });
  assert.equal(s.ms, 57);
  assert.deepEqual(s.path, ['b', 'c'], 'a decided nothing: b started when its instance was up');
});

test('inputs dominate readyAt: a function whose instance is up early waits for its input, as without readyAt', () => {
  const g = { inputs: ['x'], outputs: ['c'], functions: [fn('a', ['x'], ['a1']), fn('b', ['a1'], ['b1']), fn('c', ['b1'], ['c'])] };
  const s = dataflowSchedule(g, ms({ a: 100, b: 30, c: 40 }), { readyAtMs: ms({ a: 60, b: 80, c: 90 }) });
  assert.deepEqual(s.start, { a: 60, b: 160, c: 190 });
  assert.equal(s.ms, 230);
  assert.deepEqual(s.path, ['a', 'b', 'c']);
  // A diamond: the join's instance is up before either branch ends, so the slower branch decides.
  const d = {
    inputs: ['x'], outputs: ['y'],
    functions: [fn('head', ['x'], ['h']), fn('left', ['h'], ['l']), fn('right', ['h'], ['r']), fn('join', ['l', 'r'], ['y'])],
  };
  const t = dataflowSchedule(d, ms({ head: 1, left: 5, right: 7, join: 2 }), { readyAtMs: ms({ head: 0, left: 9, right: 3, join: 4 }) });
  assert.deepEqual(t.start, { head: 0, left: 9, right: 3, join: 14 });
  assert.equal(t.ms, 16);
  assert.deepEqual(t.path, ['left', 'join']);
});
