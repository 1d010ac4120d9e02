import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSupported, execute, TaskFailed, type Machine } from '../../src/deploy/local-run/asl.js';

const task = (fn: string, next?: string) => ({
  Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: `\${${fn}}`, 'Payload.$': '$' }, OutputPath: '$.Payload',
  Retry: [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 0, MaxAttempts: 2, BackoffRate: 1 }],
  ...(next ? { Next: next } : { End: true }),
});

const machine: Machine = {
  StartAt: 'head',
  States: {
    head: task('Head', 'wide'),
    wide: {
      Type: 'Parallel', Next: 'tail',
      Branches: [{ StartAt: 'a', States: { a: task('A') } }, { StartAt: 'b', States: { b: task('B') } }],
      ResultSelector: { 'tensors.$': 'States.JsonMerge($[0].tensors, $[1].tensors, false)' },
    } as Machine['States'][string],
    tail: task('Tail'),
  },
} as Machine;

const subs = { Head: 'head-fn', A: 'a-fn', B: 'b-fn', Tail: 'tail-fn' };

test('local-run ASL interpreter: Task, Parallel with JsonMerge, substitutions, Retry, failures as FAILED', async () => {
  checkSupported(machine);
  const calls: string[] = [];
  let flaky = 1;
  const invoke = async (fn: string, payload: unknown) => {
    calls.push(fn);
    const t = (payload as { tensors: Record<string, number> }).tensors;
    if (fn === 'a-fn' && flaky-- > 0) throw new TaskFailed('Lambda.ServiceException', 'transient');
    if (fn === 'head-fn') return { tensors: { h: t.x! + 1 } };
    if (fn === 'a-fn') return { tensors: { a: t.h! * 2 } };
    if (fn === 'b-fn') return { tensors: { b: t.h! * 3 } };
    return { tensors: { y: t.a! + t.b! } };
  };
  const ex = await execute(machine, JSON.stringify({ tensors: { x: 1 } }), invoke, subs);
  assert.equal(ex.status, 'SUCCEEDED', JSON.stringify(ex));
  assert.deepEqual(JSON.parse(ex.output!), { tensors: { y: 10 } });
  assert.equal(calls.filter((c) => c === 'a-fn').length, 2, 'a retried once after Lambda.ServiceException');

  const failing = await execute(machine, JSON.stringify({ tensors: { x: 1 } }), async (fn) => {
    if (fn === 'b-fn') throw new TaskFailed('Error', 'out of memory');
    return { tensors: { h: 0, a: 0 } };
  }, subs);
  assert.deepEqual({ status: failing.status, error: failing.error, cause: failing.cause }, { status: 'FAILED', error: 'Error', cause: 'out of memory' });

  assert.throws(() => checkSupported({ StartAt: 'w', States: { w: { Type: 'Wait', End: true } } } as Machine), /type Wait is not supported locally/);
});

test('local-run ASL interpreter: MaxAttempts counts retries after the first try, as Step Functions does', async () => {
  const one: Machine = { StartAt: 't', States: { t: task('T') } } as Machine;
  let calls = 0;
  const ex = await execute(one, JSON.stringify({ tensors: {} }), async () => { calls++; throw new TaskFailed('Lambda.ServiceException', 'always'); }, { T: 't-fn' });
  assert.equal(ex.status, 'FAILED');
  assert.equal(calls, 3, 'the first try and MaxAttempts (2) retries');
});

/** A Parallel state whose branches are given: each branch's first Task, then (branch 0) a second one. */
function wide(branches: Array<Machine['States'][string]>, timeoutS?: number): Machine {
  return {
    StartAt: 'wide', ...(timeoutS ? { TimeoutSeconds: timeoutS } : {}),
    States: {
      wide: {
        Type: 'Parallel', End: true,
        Branches: branches.map((first, i) => (i === 0
          ? { StartAt: 'first', States: { first: { ...first, End: undefined, Next: 'after' }, after: task('After') } }
          : { StartAt: 'first', States: { first } })),
      } as Machine['States'][string],
    },
  } as Machine;
}

/** Collects unhandled rejections while `body` runs and `settleMs` after. */
async function unhandledDuring(body: () => Promise<void>, settleMs: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (r: unknown) => seen.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

const later = <T>(ms: number, f: () => T) => new Promise<T>((res, rej) => setTimeout(() => { try { res(f()); } catch (e) { rej(e as Error); } }, ms));

test('local-run ASL interpreter: a TIMED_OUT execution stops its Parallel branches (no state starts after it ended)', async () => {
  const calls: string[] = [];
  const invoke = (fn: string): Promise<unknown> => {
    calls.push(fn);
    if (fn === 'a-fn') return later(1300, () => ({ tensors: {} }));
    // Fails after the execution has timed out: must not surface as an unhandled rejection.
    if (fn === 'b-fn') return later(1300, () => { throw new TaskFailed('Error', 'late'); });
    return Promise.resolve({ tensors: {} });
  };
  let ex: Awaited<ReturnType<typeof execute>> | undefined;
  const unhandled = await unhandledDuring(async () => {
    ex = await execute(wide([task('A'), task('B')], 1), JSON.stringify({ tensors: {} }), invoke, { A: 'a-fn', B: 'b-fn', After: 'after-fn' });
  }, 800);
  assert.equal(ex?.status, 'TIMED_OUT');
  assert.deepEqual(calls.sort(), ['a-fn', 'b-fn'], 'branch 0 started no state after the execution timed out');
  assert.deepEqual(unhandled, []);
});

test('local-run ASL interpreter: a failed branch stops the other branches, including one waiting to retry', async () => {
  const calls: string[] = [];
  const retrying = { ...task('R'), Retry: [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 1 }] };
  const invoke = (fn: string): Promise<unknown> => {
    calls.push(fn);
    if (fn === 'a-fn') return later(300, () => ({ tensors: {} }));
    if (fn === 'r-fn') return Promise.reject(new TaskFailed('Lambda.ServiceException', 'transient'));
    if (fn === 'b-fn') return later(50, () => { throw new TaskFailed('Error', 'out of memory'); });
    return Promise.resolve({ tensors: {} });
  };
  let ex: Awaited<ReturnType<typeof execute>> | undefined;
  const unhandled = await unhandledDuring(async () => {
    ex = await execute(wide([task('A'), retrying, task('B')]), JSON.stringify({ tensors: {} }), invoke, { A: 'a-fn', B: 'b-fn', R: 'r-fn', After: 'after-fn' });
  }, 1300);
  assert.deepEqual({ status: ex?.status, error: ex?.error, cause: ex?.cause }, { status: 'FAILED', error: 'Error', cause: 'out of memory' });
  assert.deepEqual(calls.sort(), ['a-fn', 'b-fn', 'r-fn'], 'no retry and no next state once the Parallel state failed');
  assert.deepEqual(unhandled, []);
});
