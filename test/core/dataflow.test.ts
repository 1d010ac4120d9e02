/** The dataflow scheduler itself: when functions start, what a failure stops, when tensors are released. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDataflow, type DataflowFunction } from '../../src/core/index.js';
import { tensorsFromValues } from '../../src/codec/index.js';
import { loadManifest } from '../../src/partition/index.js';
import { openSession, runSession, type Feeds, type ort } from '../../src/graph/index.js';
import { dataflowSuite } from '../fixtures/dataflow-cases.js';

const fn = (name: string, inputs: string[], outputs: string[]): DataflowFunction => ({ name, inputs, outputs });

/** Calls that finish only when the test says so, recording the order of starts and ends. */
function gatedCalls() {
  const log: string[] = [];
  const gates = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const call = (f: DataflowFunction, feeds: Record<string, number>) => {
    log.push(`start ${f.name}`);
    return new Promise<Record<string, number>>((resolve, reject) => {
      gates.set(f.name, {
        resolve: () => {
          log.push(`end ${f.name}`);
          const sum = Object.values(feeds).reduce((a, b) => a + b, 0);
          resolve(Object.fromEntries(f.outputs.map((o) => [o, sum + 1])));
        },
        reject,
      });
    });
  };
  const until = async (name: string) => { while (!gates.has(name)) await new Promise((r) => setImmediate(r)); };
  return { log, gates, call, until };
}

test('a function starts as soon as its own inputs exist, not when a whole wave is done', async () => {
  // x → slow → a → after ; x → fast → b → next: 'next' must start while 'slow' still runs.
  const g = { inputs: ['x'], outputs: ['c', 'd'], functions: [fn('slow', ['x'], ['a']), fn('fast', ['x'], ['b']), fn('after', ['a'], ['c']), fn('next', ['b'], ['d'])] };
  const { log, gates, call, until } = gatedCalls();
  const run = runDataflow(g, { x: 0 }, call);
  await until('fast');
  assert.deepEqual(log, ['start slow', 'start fast'], 'both ready functions start together');
  gates.get('fast')!.resolve();
  await until('next');
  assert.ok(!log.includes('end slow') && log.includes('start next'), log.join(', '));
  gates.get('next')!.resolve();
  gates.get('slow')!.resolve();
  await until('after');
  gates.get('after')!.resolve();
  assert.deepEqual(await run, { c: 2, d: 2 });
});

test('oneAtATime starts the next function only when none runs', async () => {
  const g = { inputs: ['x'], outputs: ['a', 'b'], functions: [fn('p', ['x'], ['a']), fn('q', ['x'], ['b'])] };
  const { log, gates, call, until } = gatedCalls();
  const run = runDataflow(g, { x: 0 }, call, { oneAtATime: true });
  await until('p');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start p']);
  gates.get('p')!.resolve();
  await until('q');
  gates.get('q')!.resolve();
  assert.deepEqual(await run, { a: 1, b: 1 });
});

test('after a failure nothing new starts, running calls are awaited, the first error is thrown', async () => {
  const g = { inputs: ['x'], outputs: ['c'], functions: [fn('bad', ['x'], ['a']), fn('slow', ['x'], ['b']), fn('join', ['a', 'b'], ['c'])] };
  const { log, gates, call, until } = gatedCalls();
  let settled = false;
  const run = runDataflow(g, { x: 0 }, call);
  void run.catch(() => {}).finally(() => { settled = true; });
  await until('slow');
  gates.get('bad')!.reject(new Error('bad broke'));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'waits for the call still running');
  gates.get('slow')!.resolve();
  await assert.rejects(run, /bad broke/);
  assert.ok(!log.includes('start join'), log.join(', '));
});

test('a tensor is released once its last reader finished; model outputs are kept', async () => {
  const g = { inputs: ['x'], outputs: ['a', 'c'], functions: [fn('f', ['x'], ['a']), fn('g1', ['a'], ['b1']), fn('g2', ['a'], ['b2']), fn('h', ['b1', 'b2'], ['c'])] };
  const released: string[] = [];
  const out = await runDataflow(g, { x: 1 }, async (f, feeds) => {
    if (f.name === 'h') assert.deepEqual(released.sort(), ['a', 'x'], 'a is released after both g1 and g2');
    const sum = Object.values(feeds).reduce((s, v) => s + v, 0);
    return Object.fromEntries(f.outputs.map((o) => [o, sum]));
  }, { release: (t) => released.push(t) });
  assert.deepEqual(out, { a: 1, c: 2 });
  assert.deepEqual(released.sort(), ['a', 'b1', 'b2', 'x']);
});

test('errors: a missing input, an output a function did not return, inputs nothing produces, an abort', async () => {
  const chain = { inputs: ['x'], outputs: ['b'], functions: [fn('f', ['x'], ['a']), fn('g', ['a'], ['b'])] };
  const ok = async (f: DataflowFunction) => Object.fromEntries(f.outputs.map((o) => [o, 1]));
  await assert.rejects(runDataflow(chain, {}, ok), /missing model input 'x'/);
  await assert.rejects(runDataflow(chain, {}, ok, { missingInput: (n) => new RangeError(n) }), RangeError);
  await assert.rejects(runDataflow(chain, { x: 1 }, async () => ({})), /function 'f' did not return 'a'/);
  const broken = { inputs: ['x'], outputs: ['b'], functions: [fn('g', ['zz'], ['b'])] };
  await assert.rejects(runDataflow(broken, { x: 1 }, ok, { label: "model 'm'" }), /^MoparError: model 'm': functions never got all their inputs.*'g' waits for 'zz'/);
  const ctl = new AbortController();
  let calls = 0;
  await assert.rejects(runDataflow(chain, { x: 1 }, async (f) => { calls++; ctl.abort(new Error('client left')); return ok(f); }, { signal: ctl.signal }), /client left/);
  assert.equal(calls, 1, 'no function starts after the abort');
});

test('constants exist from the start of every run: functions read them, they are never released, model inputs are still required', async () => {
  // x → f(x, k) → a → g(a, k) → b: k is a constant both functions read.
  const g = { inputs: ['x'], outputs: ['b'], functions: [fn('f', ['x', 'k'], ['a']), fn('g', ['a', 'k'], ['b'])] };
  const sum = async (f: DataflowFunction, feeds: Record<string, number>) => Object.fromEntries(f.outputs.map((o) => [o, Object.values(feeds).reduce((s, v) => s + v, 0)]));
  const constants = { k: 10 };
  for (let run = 0; run < 2; run++) {
    const released: string[] = [];
    const out = await runDataflow(g, { x: 1 }, sum, { constants, release: (t) => released.push(t) });
    assert.deepEqual(out, { b: 21 }, 'a = x + k = 11, b = a + k = 21');
    assert.deepEqual(released.sort(), ['a', 'x'], 'k is never released');
  }
  // A request's own tensor of that name does not replace it (it is no model input).
  assert.deepEqual(await runDataflow(g, { x: 1, k: 99 }, sum, { constants }), { b: 21 });
  await assert.rejects(runDataflow(g, {}, sum, { constants }), /missing model input 'x'/);
  await assert.rejects(runDataflow(g, { x: 1 }, sum), /'f' waits for 'k'/, 'without the constant the functions never run');
  await assert.rejects(runDataflow(g, { x: 1 }, sum, { constants: { x: 5 } }), /constant 'x' is also a model input/);
});

// The shared cases, with runDataflow driving onnxruntime sessions directly.
dataflowSuite({
  name: 'runDataflow',
  async open(dir) {
    const { manifest, paths } = loadManifest(dir);
    const sessions = new Map<string, ort.InferenceSession>();
    for (const f of manifest.functions) sessions.set(f.name, await openSession(paths.get(f.name)!));
    const constants = tensorsFromValues(manifest.constants);
    return {
      run: (feeds: Feeds) => runDataflow(manifest, feeds, async (f, ins) => {
        try { return await runSession(sessions.get(f.name)!, ins); } catch (err) { throw new Error(`function '${f.name}': ${(err as Error).message}`, { cause: err }); }
      }, { constants }),
      close: async () => { for (const s of sessions.values()) await s.release(); },
    };
  },
});
