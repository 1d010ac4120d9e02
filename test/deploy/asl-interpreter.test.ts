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
