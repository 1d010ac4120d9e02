/**
 * A manifest's constants through deploy: the entry's pipeline.json carries them and the generated entry feeds
 * them to the slices itself (OpenFaaS/Knative: the chain entry; Lambda: into the state machine's input, each
 * slice passing them on until their last reader).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deploy, parseCfnYaml, readManifestForDeploy } from '../../src/deploy/index.js';
import type { FunctionConfig, PipelineConfig } from '../../src/deploy/function-runtime/config.js';
import { httpRequest, infer } from '../../src/runtime/index.js';
import { CONSTANTS, buildWithConstants } from '../fixtures/dataflow-cases.js';
import { cleanup, linkOrt, tmpDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';
import { execute, type Machine } from '../../src/deploy/local-run/asl.js';

const dir = tmpDir('constants');
after(() => cleanup(dir));
const built = buildWithConstants(join(dir, 'built'));

const X = [1, 2, 3, 4, 5, 6, 7, 8];
/** y = (x + k) · k · v in float32, as the partition computes it. */
const Y = X.map((x, i) => Math.fround(Math.fround(Math.fround(x + CONSTANTS.k!.data[i]!) * CONSTANTS.k!.data[i]!) * CONSTANTS.v!.data[0]!));
const REQUEST = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: X }] });

test('stages: a constant is there from the start and stays live until its last reader', async () => {
  const { stages } = readManifestForDeploy((await built).part);
  assert.deepEqual(stages.map((s) => [s.group, s.liveAfter]), [['f1', ['a', 'k', 'v']], ['f2', ['v', 'b']], ['f3', ['y']]]);
});

test('OpenFaaS: the entry feeds the constants to the slices; the answer is the model\'s', async () => {
  const out = join(dir, 'of');
  await deploy((await built).part, out, { target: 'openfaas' });
  linkOrt(out);
  const stack = parse(readFileSync(join(out, 'stack.yml'), 'utf8')) as { functions: Record<string, { handler: string; environment: Record<string, string> }> };
  const entry = JSON.parse(readFileSync(join(out, stack.functions.toy!.handler, 'pipeline.json'), 'utf8')) as PipelineConfig;
  assert.deepEqual(entry.constants, CONSTANTS);
  assert.deepEqual(entry.inputs, ['x']);
  // A slice serves its constant input like any other (its Open Inference Protocol metadata needs the spec).
  const f1 = JSON.parse(readFileSync(join(out, stack.functions['toy-f1']!.handler, 'function.json'), 'utf8')) as FunctionConfig;
  assert.deepEqual(f1.tensors.k, { dtype: 'float32', shape: [1, 8] });

  const gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)])));
  const saved = { ...process.env };
  try {
    for (const [k, v] of Object.entries(stack.functions.toy!.environment)) process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
    const r = await httpRequest(`${gw.url}/function/toy/v2/models/toy/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: REQUEST });
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual((JSON.parse(r.body.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data, Y);
    const bin = await infer(`${gw.url}/function/toy`, 'toy', { x: { dtype: 'float32', dims: [1, 8], data: Float32Array.from(X) } });
    assert.deepEqual(Array.from(bin.outputs.y!.data as Float32Array), Y);
  } finally {
    process.env = saved;
    await gw.close();
  }
});

test('Lambda: the entry puts the constants into the state machine\'s input; the answer is the model\'s', async () => {
  const out = join(dir, 'lambda');
  await deploy((await built).part, out, { target: 'lambda' });
  linkOrt(out);
  const template = parseCfnYaml(readFileSync(join(out, 'template.yaml'), 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const definition = JSON.parse(readFileSync(join(out, 'statemachine', 'pipeline.asl.json'), 'utf8'));
  const runtimeOf = (d: string) => createRequire(join(d, 'handler.js'))('./mopar-runtime.js');
  const entryDir = join(out, template.Resources.Entry.Properties.CodeUri);
  // The generated handlers called in this process (not under lambda-local, which mutes stdout while a handler
  // runs and so can swallow the test runner's own reports), the state machine run by local-run's interpreter.
  const subs = template.Resources.Pipeline.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
  const slices = new Map<string, (event: unknown) => Promise<unknown>>();
  const invoke = async (id: string, payload: unknown) => {
    if (!slices.has(id)) {
      const d = join(out, template.Resources[id].Properties.CodeUri ?? template.Resources[id].Metadata.DockerContext);
      slices.set(id, runtimeOf(d).lambdaFunction(d, { env: { MOPAR_INLINE_LIMIT_BYTES: '200000' } }));
    }
    return slices.get(id)!(payload);
  };
  const inputs: string[] = [];
  const handler = runtimeOf(entryDir).lambdaEntry(entryDir, {
    env: { MOPAR_STATE_MACHINE_ARN: 'arn:aws:states:local:0:stateMachine:test' },
    startSyncExecution: (_arn: string, input: string) => {
      inputs.push(input);
      return execute(definition as Machine, input, invoke, Object.fromEntries(Object.entries(subs).map(([k, v]) => [k, v['Fn::GetAtt'][0]])));
    },
  });
  const r = await handler({ rawPath: '/v2/models/toy/infer', headers: { 'content-type': 'application/json' }, body: REQUEST, requestContext: { http: { method: 'POST' } } });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual((JSON.parse(r.body) as { outputs: { data: number[] }[] }).outputs[0]!.data, Y);
  assert.deepEqual(Object.keys((JSON.parse(inputs[0]!) as { tensors: object }).tensors).sort(), ['k', 'v', 'x'], 'the request\'s input and the constants');
});
