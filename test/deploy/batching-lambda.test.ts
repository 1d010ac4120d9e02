/**
 * `mopar deploy --batching PLAN --target lambda`: the SQS batching front in the SAM template, and run locally (the
 * entry queues, the front runs the state machine once per batch, the entry serves the stored answers). Its own
 * file: lambda-local runs in this process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { deploy, parseCfnYaml } from '../../src/deploy/index.js';
import { openSession, runSession, type Feeds } from '../../src/graph/index.js';
import { cleanup, linkOrt, maxRelErr, tmpDir } from './helpers.js';
import { runStateMachine } from './asl-run.js';
import { cfnLint } from './cfn-lint.js';
import { builtDynamic, row, writePlan } from './batching-fixtures.js';

const d = tmpDir('batching-lambda');
after(() => cleanup(d));

/** The generated runtime module of a function folder, as the Lambda runtime loads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const runtimeOf = (dir: string): any => createRequire(join(dir, 'handler.js'))('./mopar-runtime.js');

test('Lambda: an SQS queue per group feeds a batching front (BatchSize = maxBatch, window from the timeout); two queued requests run the state machine once and each answer equals the unsplit model\'s', async () => {
  const built = await builtDynamic(join(d, 'built-lambda'));
  const plan = writePlan(join(d, 'plan-lambda.json'), 'dyn', [{ apps: ['a'], maxBatch: 2, timeoutMs: 5500 }, { apps: ['b', 'c'], maxBatch: 16, timeoutMs: 80 }]);
  const out = join(d, 'lambda');
  const res = await deploy(built.dir, out, { target: 'lambda', batching: plan });
  linkOrt(out);
  const template = parseCfnYaml(readFileSync(res.main, 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const R = template.Resources;
  assert.equal(R.BatchQueue0.Type, 'AWS::SQS::Queue');
  assert.equal(R.BatchQueue1.Type, 'AWS::SQS::Queue');
  assert.ok(R.BatchQueue0.Properties.VisibilityTimeout >= 6 * R.BatchFront.Properties.Timeout);
  const ev = R.BatchFront.Properties.Events;
  assert.deepEqual(ev.Group0.Properties, { Queue: { 'Fn::GetAtt': ['BatchQueue0', 'Arn'] }, BatchSize: 2, MaximumBatchingWindowInSeconds: 5 });
  // 80 ms rounds down to 0 s, but a standard queue delivers more than 10 messages only with a window ≥ 1 s.
  assert.deepEqual(ev.Group1.Properties, { Queue: { 'Fn::GetAtt': ['BatchQueue1', 'Arn'] }, BatchSize: 16, MaximumBatchingWindowInSeconds: 1 });
  assert.ok(res.warnings.some((w) => /batching group b\+c: its 80 ms timeout is under SQS's 1 s batching-window step/.test(w)), res.warnings.join('\n'));
  assert.ok(res.warnings.some((w) => /more than 10 messages only with a batching window ≥ 1 s; using 1 s/.test(w)));
  assert.deepEqual(R.Entry.Properties.Environment.Variables.MOPAR_BATCH_QUEUE_1, { Ref: 'BatchQueue1' });
  const entryStatements = R.EntryRole.Properties.Policies[0].PolicyDocument.Statement;
  assert.ok(entryStatements.some((st: { Action: string; Resource: unknown }) => st.Action === 'sqs:SendMessage'));
  assert.ok(R.BatchFrontRole.Properties.Policies[0].PolicyDocument.Statement.some((st: { Action: string[] }) => Array.isArray(st.Action) && st.Action.includes('sqs:ReceiveMessage')));
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(readme, /an SQS queue per group/);
  assert.match(readme, /BatchSize 16, MaximumBatchingWindowInSeconds 1 \(plan: 80 ms\)/);
  assert.match(readme, /Answers are asynchronous/);
  const lint = cfnLint([res.main]);
  if (lint) assert.equal(lint.status, 0, `cfn-lint: ${lint.output}`);

  // Locally: the entry queues (SQS stand-in), the front runs the state machine (asl-run over the slices under
  // lambda-local), the entry serves the stored answers.
  const entryDir = join(out, R.Entry.Properties.CodeUri);
  const rt = runtimeOf(entryDir);
  const store = rt.memoryStore();
  const definition = JSON.parse(readFileSync(join(out, 'statemachine', 'pipeline.asl.json'), 'utf8'));
  const env = { MOPAR_STATE_MACHINE_ARN: 'arn:local', MOPAR_STAGING_BUCKET: 'bkt', MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: '200000', MOPAR_BATCH_QUEUE_0: 'q0', MOPAR_BATCH_QUEUE_1: 'q1' };
  const executions: string[] = [];
  const startSyncExecution = async (_arn: string, input: string) => {
    executions.push(input);
    const output = await runStateMachine({
      template, out, environment: () => ({ MOPAR_STAGING_BUCKET: 'bkt', MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: '200000' }),
      lambdaFunc: (dir) => ({ handler: runtimeOf(dir).lambdaFunction(dir, { store }) }),
    }, definition, JSON.parse(input));
    return { status: 'SUCCEEDED', output: JSON.stringify(output) };
  };
  const queued: { queue: string; body: string }[] = [];
  const entry = rt.lambdaEntry(entryDir, { store, env, startSyncExecution, sendMessage: async (queue: string, body: string) => { queued.push({ queue, body }); } });
  const front = createRequire(join(entryDir, 'batch-handler.js'))('./mopar-runtime.js').lambdaBatchFront(entryDir, { store, env, startSyncExecution });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => entry({
    rawPath: path, headers: { 'content-type': 'application/json', ...headers }, requestContext: { http: { method } },
    ...(body === undefined ? {} : { body: JSON.stringify(body), isBase64Encoded: false }),
  });
  const jsonRequest = (seed: number, app?: string) => ({ ...(app ? { parameters: { app } } : {}), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: Array.from(row(seed).x!.data as Float32Array) }] });

  const accepted = await Promise.all([call('POST', '/v2/models/dyn/infer', jsonRequest(21, 'a')), call('POST', '/v2/models/dyn/infer', jsonRequest(22), { 'x-mopar-app': 'a' })]);
  const ids = accepted.map((r: { statusCode: number; body: string; headers: Record<string, string> }) => {
    assert.equal(r.statusCode, 202, r.body);
    const b = JSON.parse(r.body) as { id: string; status: string; result: string };
    assert.equal(b.status, 'queued');
    assert.equal(r.headers.location, b.result);
    return b;
  });
  assert.deepEqual(queued.map((q) => q.queue), ['q0', 'q0']);
  const pending = await call('GET', ids[0]!.result);
  assert.equal(pending.statusCode, 202);
  assert.equal(JSON.parse(pending.body).status, 'pending');

  // Lambda's SQS poller delivers both messages as one event.
  const ran = await front({ Records: queued.map((q, i) => ({ messageId: `m${i}`, body: q.body })) });
  assert.deepEqual(ran.batches, [2]);
  assert.equal(executions.length, 1, 'one state machine run for the batch');
  assert.deepEqual((JSON.parse(executions[0]!) as { tensors: { x: { shape: number[] } } }).tensors.x.shape, [2, 8]);
  const s = await openSession(built.modelPath);
  try {
    for (const [i, seed] of [21, 22].entries()) {
      const r = await call('GET', ids[i]!.result);
      assert.equal(r.statusCode, 200, r.body);
      const body = JSON.parse(r.body) as { id: string; outputs: { name: string; shape: number[]; data: number[] }[] };
      assert.equal(body.id, ids[i]!.id);
      const got: Feeds = Object.fromEntries(body.outputs.map((o) => [o.name, { dtype: 'float32', dims: o.shape, data: Float32Array.from(o.data) }]));
      const err = maxRelErr(got, await runSession(s, row(seed)));
      assert.ok(err <= 1e-5, `request ${i}: max relative error ${err}`);
    }
  } finally {
    await s.release();
  }
  // A request naming no application runs synchronously, as before; an unknown one is a 400.
  const direct = await call('POST', '/v2/models/dyn/infer', jsonRequest(23));
  assert.equal(direct.statusCode, 200, direct.body);
  const unknown = await call('POST', '/v2/models/dyn/infer', jsonRequest(23, 'zzz'));
  assert.equal(unknown.statusCode, 400);
  assert.match(JSON.parse(unknown.body).error, /unknown application 'zzz' for model 'dyn' \(known: a, b, c\)/);
});
