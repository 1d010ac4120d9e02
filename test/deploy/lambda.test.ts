import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { deploy, parseCfnYaml, runtimeBundle } from '../../src/deploy/index.js';
import { decodeJsonTensor, tensorFromBytes, type WireMessage } from '../../src/deploy/function-runtime/wire.js';
import type { Feeds } from '../../src/graph/index.js';
import { assertMallocEnvBeforeCmd, cleanup, invokeOutputs, linkOrt, maxRelErr, readmeCommands, reference, referenceForRequest, runReadmeLine, tmpDir, writeBranchyDir } from './helpers.js';
import { runStateMachine, type AslRunOptions } from './asl-run.js';
import { startFunctionUrl } from './function-url.js';
import { cfnLint } from './cfn-lint.js';
import { httpRequest, infer, modelMetadata } from '../../src/runtime/index.js';
import { getPlatform } from '../../src/plan/index.js';
import { LEAN_MALLOC_ENV } from '../../src/core/index.js';

const req = createRequire(import.meta.url);
const validateAsl = req('asl-validator') as (d: unknown) => { isValid: boolean; errors: unknown[] };
type Store = { objects: Map<string, Uint8Array>; put(b: string, k: string, v: Uint8Array): Promise<void>; get(b: string, k: string): Promise<Uint8Array> };

/** The generated runtime module of a function folder, as the Lambda runtime would load it. */
function runtimeOf(dir: string): { lambdaFunction(dir: string, o?: unknown): unknown; lambdaEntry(dir: string, o?: unknown): unknown; memoryStore(): Store } {
  return createRequire(join(dir, 'handler.js'))('./mopar-runtime.js');
}

async function toFeeds(msg: WireMessage, store?: Store): Promise<Feeds> {
  const out: Feeds = {};
  for (const [k, w] of Object.entries(msg.tensors)) {
    out[k] = w.s3 ? tensorFromBytes(k, w.dtype, w.shape, (await store!.get(w.s3.bucket, w.s3.key))) : decodeJsonTensor(k, w);
  }
  return out;
}

function textFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules') return [];
    if (statSync(p).isDirectory()) return textFiles(p);
    return /\.(ya?ml|json|js|toml|sh|txt)$|Makefile|Dockerfile/.test(f) ? [p] : [];
  });
}

async function setup(tag: string, opts: { lambdaZipLimitBytes?: number } = {}) {
  const d = tmpDir(tag);
  const built = await writeBranchyDir(join(d, 'built'));
  const out = join(d, 'lambda');
  const res = await deploy(built.dir, out, { target: 'lambda', ...opts });
  linkOrt(out);
  const template = parseCfnYaml(readFileSync(join(out, 'template.yaml'), 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const definition = JSON.parse(readFileSync(join(out, 'statemachine', 'pipeline.asl.json'), 'utf8'));
  return { d, built, out, res, template, definition };
}

test('SAM template: one right-sized function per slice, parameters, bucket, least-privilege roles, no secrets', async () => {
  const { d, out, res, template, definition, built } = await setup('sam');
  try {
    assert.equal(template.Transform, 'AWS::Serverless-2016-10-31');
    assert.equal(template.AWSTemplateFormatVersion, '2010-09-09');
    for (const p of ['StagingBucketName', 'FunctionRoleName', 'StateMachineRoleName', 'EntryRoleName', 'EntryAuthType']) assert.equal(template.Parameters[p].Type, 'String');
    assert.equal(template.Parameters.EntryAuthType.Default, 'AWS_IAM', 'the endpoint is not public unless asked');
    const R = template.Resources;
    assert.deepEqual(R.StagingBucket.Properties.BucketName, { Ref: 'StagingBucketName' });
    assert.deepEqual(R.FunctionRole.Properties.RoleName, { Ref: 'FunctionRoleName' });
    assert.deepEqual(R.StateMachineRole.Properties.RoleName, { Ref: 'StateMachineRoleName' });
    const fnStmt = R.FunctionRole.Properties.Policies[0].PolicyDocument.Statement;
    assert.equal(fnStmt.length, 1);
    assert.deepEqual(fnStmt[0].Action, ['s3:GetObject', 's3:PutObject']);
    assert.match(fnStmt[0].Resource['Fn::Sub'], /\$\{StagingBucket\}\/staging\/\*$/);
    const smStmt = R.StateMachineRole.Properties.Policies[0].PolicyDocument.Statement;
    assert.deepEqual(smStmt.map((s: { Action: string }) => s.Action), ['lambda:InvokeFunction']);

    // The bucket refuses plain HTTP.
    const deny = R.StagingBucketPolicy.Properties.PolicyDocument.Statement[0];
    assert.deepEqual([deny.Effect, deny.Action, deny.Principal, deny.Condition], ['Deny', 's3:*', '*', { Bool: { 'aws:SecureTransport': 'false' } }]);
    assert.deepEqual(R.StagingBucketPolicy.Properties.Bucket, { Ref: 'StagingBucket' });
    // The entry: a function URL, allowed to run the state machine and to stage inputs, nothing else.
    const entry = R.Entry.Properties;
    // The entry is deployed at the size the planner prices it (issue 27: plan/platforms.ts orchestration.entry).
    const entrySize = getPlatform('aws-lambda').orchestration.entry;
    assert.equal(entry.MemorySize, entrySize.memoryMB);
    assert.deepEqual(res.functions.filter((f) => f.function === '$entry').map((f) => [f.memoryMB, f.vcpu]), [[entrySize.memoryMB, entrySize.vcpu]]);
    assert.deepEqual(entry.FunctionUrlConfig, { AuthType: { Ref: 'EntryAuthType' } });
    assert.deepEqual(entry.Environment.Variables.MOPAR_STATE_MACHINE_ARN, { Ref: 'Pipeline' });
    assert.deepEqual(entry.Role, { 'Fn::GetAtt': ['EntryRole', 'Arn'] });
    const entryStmt = R.EntryRole.Properties.Policies[0].PolicyDocument.Statement;
    assert.deepEqual(entryStmt.map((x: { Action: unknown }) => x.Action), ['states:StartSyncExecution', ['s3:GetObject', 's3:PutObject']]);
    assert.deepEqual(entryStmt[0].Resource, { Ref: 'Pipeline' });
    assert.deepEqual(template.Outputs.EntryUrl.Value, { 'Fn::GetAtt': ['EntryUrl', 'FunctionUrl'] });
    assert.doesNotMatch(readFileSync(join(out, entry.CodeUri, 'Makefile'), 'utf8'), /npm install/, 'the entry has no dependencies');

    const fns = Object.entries(R).filter(([id, r]) => id !== 'Entry' && (r as { Type: string }).Type === 'AWS::Serverless::Function') as [string, any][]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(fns.length, built.manifest.functions.length);
    for (const [id, f] of fns) {
      const p = f.Properties;
      assert.equal(p.Runtime, 'nodejs22.x');
      assert.equal(p.Handler, 'handler.handler');
      assert.equal(p.MemorySize, 256);
      assert.equal(p.Timeout, 60);
      assert.equal(p.EphemeralStorage.Size, 512);
      assert.deepEqual(p.Role, { 'Fn::GetAtt': ['FunctionRole', 'Arn'] });
      assert.deepEqual(p.Environment.Variables.MOPAR_STAGING_BUCKET, { Ref: 'StagingBucket' });
      // A slice loads a model: the local hosts' glibc malloc settings (core/malloc.ts).
      for (const [k, v] of Object.entries(LEAN_MALLOC_ENV)) assert.equal(p.Environment.Variables[k], v, k);
      assert.equal(f.Metadata.BuildMethod, 'makefile');
      const mk = readFileSync(join(out, p.CodeUri, 'Makefile'), 'utf8');
      assert.match(mk, new RegExp(`^build-${id}:\\n\\tcp `, 'm'));
      assert.match(mk, /ONNXRUNTIME_NODE_INSTALL=skip npm install/, 'no GPU download');
      // Every function ARN the state machine may invoke is granted, nothing else.
      assert.ok(smStmt[0].Resource.some((r: unknown) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })));
    }
    assert.equal(smStmt[0].Resource.length, fns.length * 2);

    const sm = R.Pipeline.Properties;
    assert.equal(R.Pipeline.Type, 'AWS::Serverless::StateMachine');
    assert.equal(sm.DefinitionUri, 'statemachine/pipeline.asl.json');
    const vars = [...JSON.stringify(definition).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    for (const v of vars) assert.ok(sm.DefinitionSubstitutions[v!], `substitution for ${v}`);

    const v = validateAsl(structuredClone(definition));
    assert.deepEqual(v.errors, []);
    assert.equal(v.isValid, true);
    const par = Object.values(definition.States).find((s) => (s as { Type: string }).Type === 'Parallel') as { Branches: unknown[]; ResultSelector: Record<string, string> };
    assert.equal(par.Branches.length, 3);
    assert.match(par.ResultSelector['tensors.$']!, /^States\.JsonMerge\(States\.JsonMerge\(/);

    // The runtime modules are the library bundle as built, the same for every deployment (third-party code in them
    // may spell 'password:'); everything written for this deployment carries no secret.
    const bundles = { function: await runtimeBundle('function'), gateway: await runtimeBundle('gateway') };
    for (const f of textFiles(out)) {
      const text = readFileSync(f, 'utf8');
      if (f.endsWith('/mopar-runtime.js')) {
        assert.ok(text === bundles.function || text === bundles.gateway, f);
        continue;
      }
      assert.doesNotMatch(text, /AKIA[0-9A-Z]{16}|aws_secret_access_key|aws_session_token|password\s*[:=]/i, f);
    }
  } finally {
    cleanup(d);
  }
});

test('the state machine chains the real Lambda handlers (lambda-local) to the unsplit output', async () => {
  const { d, built, out, template, definition } = await setup('chain');
  try {
    const { feeds, expected } = await reference(built);
    const input = { tensors: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: t.dims, data: Buffer.from((t.data as Float32Array).buffer).toString('base64') }])) };
    const invocations: string[] = [];
    const result = await runStateMachine({
      template, out, invocations,
      environment: (_id, env) => ({ MOPAR_STAGING_BUCKET: 'unused', MOPAR_STAGING_PREFIX: String(env.MOPAR_STAGING_PREFIX), MOPAR_INLINE_LIMIT_BYTES: String(env.MOPAR_INLINE_LIMIT_BYTES) }),
    }, definition, input) as WireMessage;
    assert.equal(invocations.length, 5);
    assert.deepEqual(Object.keys(result.tensors), built.manifest.outputs, 'only the model outputs are left at the end');
    const err = maxRelErr(await toFeeds(result), expected);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  } finally {
    cleanup(d);
  }
});

test('tensors over the inline limit are staged in the bucket and read back by the next function', async () => {
  const { d, built, out, template, definition } = await setup('stage');
  try {
    const { feeds, expected } = await reference(built);
    const rt = runtimeOf(join(out, template.Resources.Fn0Head.Properties.CodeUri));
    const store = rt.memoryStore();
    const input = { tensors: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: t.dims, data: Buffer.from((t.data as Float32Array).buffer).toString('base64') }])) };
    const result = await runStateMachine({
      template, out,
      environment: () => ({ MOPAR_STAGING_BUCKET: 'test-bucket', MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: '64' }),
      lambdaFunc: (dir) => ({ handler: runtimeOf(dir).lambdaFunction(dir, { store }) }),
    }, definition, input) as WireMessage;
    assert.ok(store.objects.size >= 5, `staged ${[...store.objects.keys()]}`);
    for (const key of store.objects.keys()) assert.match(key, /^test-bucket\/staging\//);
    assert.ok(Object.values(result.tensors).every((w) => w.s3), 'the final output is a reference too');
    const err = maxRelErr(await toFeeds(result, store), expected);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  } finally {
    cleanup(d);
  }
});

test('over the zip limit a slice becomes a container image on the public Lambda Node.js base image', async () => {
  const { d, built, out, res, template, definition } = await setup('image', { lambdaZipLimitBytes: 1 });
  try {
    assert.ok(res.functions.filter((f) => f.function !== '$entry').every((f) => f.packaging === 'image'));
    const f = template.Resources.Fn0Head;
    assert.equal(f.Properties.PackageType, 'Image');
    assert.equal(f.Properties.Runtime, undefined);
    assert.equal(f.Properties.CodeUri, undefined);
    assert.equal(f.Metadata.Dockerfile, 'Dockerfile');
    assert.match(f.Metadata.DockerTag, /^[0-9a-f]{12}$/, 'tagged by content');
    const df = readFileSync(join(out, f.Metadata.DockerContext, 'Dockerfile'), 'utf8');
    assert.match(df, /^FROM --platform=linux\/amd64 public\.ecr\.aws\/lambda\/nodejs:22$/m);
    assert.match(df, /^CMD \["handler\.handler"\]$/m);
    assertMallocEnvBeforeCmd(df, LEAN_MALLOC_ENV);
    for (const [k, v] of Object.entries(LEAN_MALLOC_ENV)) assert.equal(f.Properties.Environment.Variables[k], v, k);
    for (const file of ['model.onnx', 'function.json', 'mopar-runtime.js', 'handler.js']) assert.match(df, new RegExp(file.replace('.', '\\.')));
    const { feeds, expected } = await reference(built);
    const input = { tensors: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: t.dims, data: Buffer.from((t.data as Float32Array).buffer).toString('base64') }])) };
    const result = await runStateMachine({ template, out, environment: () => ({ MOPAR_INLINE_LIMIT_BYTES: '200000' }) }, definition, input) as WireMessage;
    assert.ok(maxRelErr(await toFeeds(result), expected) <= 1e-4);
  } finally {
    cleanup(d);
  }
});

/** The entry under a local function URL; its state machine run by asl-run over the slices under lambda-local. */
async function entryUrl(s: Awaited<ReturnType<typeof setup>>, env: Record<string, string>) {
  const entryDir = join(s.out, s.template.Resources.Entry.Properties.CodeUri);
  const rt = runtimeOf(entryDir);
  const store = rt.memoryStore();
  const machine: AslRunOptions = {
    template: s.template, out: s.out,
    environment: () => ({ MOPAR_STAGING_BUCKET: 'test-bucket', MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: env.MOPAR_INLINE_LIMIT_BYTES! }),
    lambdaFunc: (dir) => ({ handler: runtimeOf(dir).lambdaFunction(dir, { store }) }),
  };
  const executions: string[] = [];
  const handler = rt.lambdaEntry(entryDir, {
    store,
    startSyncExecution: async (arn: string, input: string) => {
      executions.push(input);
      assert.equal(arn, 'arn:aws:states:local:0:stateMachine:test');
      assert.ok(input.length <= 256 * 1024, `state machine input of ${input.length} bytes is over the Step Functions limit`);
      return { status: 'SUCCEEDED', output: JSON.stringify(await runStateMachine(machine, s.definition, JSON.parse(input))) };
    },
  });
  const fnUrl = await startFunctionUrl(handler, {
    MOPAR_STATE_MACHINE_ARN: 'arn:aws:states:local:0:stateMachine:test', MOPAR_STAGING_BUCKET: 'test-bucket', MOPAR_STAGING_PREFIX: 'staging/', ...env,
  });
  return { fnUrl, store, executions };
}

test('Lambda end to end: the entry function URL answers KServe v2 through the state machine, the README call included', async () => {
  const s = await setup('entry');
  let fnUrl: Awaited<ReturnType<typeof entryUrl>>['fnUrl'] | undefined;
  try {
    const e = await entryUrl(s, { MOPAR_INLINE_LIMIT_BYTES: '200000' });
    fnUrl = e.fnUrl;
    const base = fnUrl.url.replace(/\/$/, '');
    assert.equal((await httpRequest(`${base}/v2/health/ready`)).status, 200);
    assert.deepEqual((await modelMetadata(base, 'branchy')).inputs, [{ name: 'x', datatype: 'FP32', shape: [1, 16] }]);
    const { feeds, expected } = await reference(s.built);
    const r = await infer(base, 'branchy', feeds);
    assert.ok(maxRelErr(r.outputs, expected) <= 1e-4, 'binary extension');
    assert.equal(e.executions.length, 1);
    assert.equal(e.store.objects.size, 0, 'small tensors travel inline');
    const bad = await httpRequest(`${base}/v2/models/branchy/infer`, { method: 'POST', body: '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).error, /shape \[1,2\] but the model expects \[1,16\]/);

    // The README's call, run as written: curl signs with SigV4 (not checked locally) and posts request.json.
    const call = readmeCommands(s.out).at(-1)!;
    assert.match(call, /^curl .*--aws-sigv4 .*@request\.json "\$\{ENTRY_URL%\/\}\/v2\/models\/branchy\/infer"$/);
    const cli = await runReadmeLine(s.out, call, { ENTRY_URL: fnUrl.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: 'test' });
    assert.equal(cli.code, 0, `${cli.stdout}${cli.stderr}`);
    const answer = JSON.parse(cli.stdout) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    assert.ok(maxRelErr(invokeOutputs(JSON.stringify(answer)), await referenceForRequest(s.built, join(s.out, 'request.json'))) <= 1e-4, 'README call');
  } finally {
    await fnUrl?.close();
    cleanup(s.d);
  }
});

test('Lambda entry: inputs over the state machine\'s input limit are staged in the bucket, and the answer is the same', async () => {
  const s = await setup('entry-stage');
  let fnUrl: Awaited<ReturnType<typeof entryUrl>>['fnUrl'] | undefined;
  try {
    const e = await entryUrl(s, { MOPAR_INLINE_LIMIT_BYTES: '64' });
    fnUrl = e.fnUrl;
    const { feeds, expected } = await reference(s.built);
    const r = await infer(fnUrl.url.replace(/\/$/, ''), 'branchy', feeds);
    assert.ok(maxRelErr(r.outputs, expected) <= 1e-4);
    const input = JSON.parse(e.executions[0]!) as WireMessage;
    assert.ok(input.tensors.x!.s3, 'the input went to the bucket');
    assert.match(input.tensors.x!.s3!.key, /^staging\/[0-9a-f-]{36}\/input\/x$/);
    assert.ok(e.store.objects.has(`test-bucket/${input.tensors.x!.s3!.key}`));
  } finally {
    await fnUrl?.close();
    cleanup(s.d);
  }
});

test('cfn-lint accepts the SAM templates (zip and image packaging)', async (t) => {
  const zip = await setup('lint-zip');
  const image = await setup('lint-image', { lambdaZipLimitBytes: 1 });
  try {
    const r = cfnLint([join(zip.out, 'template.yaml'), join(image.out, 'template.yaml')]);
    if (!r) { t.skip('cfn-lint is not installed'); return; }
    assert.equal(r.status, 0, `cfn-lint: ${r.output}`);
  } finally {
    cleanup(zip.d);
    cleanup(image.d);
  }
});
