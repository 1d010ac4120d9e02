/**
 * A model of one function (an unsplit plan) deploys as that one function: it is the model's endpoint (its name,
 * limits and, on OpenFaaS and Knative, /metrics), with no entry in front to add an HTTP hop and a second service to
 * bill — and on Lambda no state machine behind it. Built with the compiled CLI and run from the generated files;
 * answers must match the unsplit model.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { localRun, parseCfnYaml } from '../../src/deploy/index.js';
import { cfnLint } from './cfn-lint.js';
import { allclose, openSession, runSession } from '../../src/graph/index.js';
import { httpRequest, parseInferResponse } from '../../src/runtime/index.js';
import { cleanup, tmpDir } from './helpers.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const MODEL = join(ROOT, 'test', 'fixtures', 'exported', 'mobilenetv3-small.onnx');
const cli = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin', 'mopar.js'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let d: string;
let built: string;
before(() => {
  d = tmpDir('one-function');
  built = join(d, 'unsplit');
  cli(['partition', MODEL, '-o', built, '--strategy', 'unsplit', '--slo-ms', '10000', '--runs', '2', '--no-cpu-scaling', '--no-rss']);
});
after(() => cleanup(d));

for (const target of ['openfaas', 'knative', 'lambda'] as const) {
  test(`deploy --target ${target} of one function: the function is the endpoint (no entry), and answers request.json as the unsplit model`, { timeout: 120_000 }, async () => {
    const out = join(d, target);
    cli(['deploy', built, '--target', target, '-o', out]);
    assert.deepEqual(readdirSync(join(out, 'functions')), ['mobilenetv3-small'], 'one function folder, named after the model');
    const fn = join(out, 'functions', 'mobilenetv3-small');
    for (const f of ['pipeline.json', 'function.json', 'model.onnx']) assert.ok(existsSync(join(fn, f)), f);
    // The bundle keeps graph/ort-env.ts, whose only effect is at load: onnxruntime's telemetry off in the function.
    assert.match(readFileSync(join(fn, 'mopar-runtime.js'), 'utf8'), /ORT_DISABLE_TELEMETRY \?\?= "1"/);
    if (target === 'lambda') {
      const t = parseCfnYaml(readFileSync(join(out, 'template.yaml'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Outputs: Record<string, unknown> };
      const fns = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
      assert.deepEqual(fns.map(([id]) => id), ['Entry'], 'one function, the endpoint');
      assert.ok(fns[0]![1].Properties.FunctionUrlConfig, 'with the function URL');
      assert.ok(!Object.values(t.Resources).some((r) => r.Type === 'AWS::Serverless::StateMachine'), 'no state machine');
      assert.ok(!existsSync(join(out, 'statemachine')));
      assert.deepEqual(Object.keys(t.Outputs).sort(), ['EntryUrl', 'StagingBucket']);
      const lint = cfnLint([join(out, 'template.yaml')]);
      if (lint) assert.equal(lint.status, 0, `cfn-lint: ${lint.output}`); // where installed (CI may not have it)
    } else if (target === 'openfaas') {
      const stack = parseYaml(readFileSync(join(out, 'stack.yml'), 'utf8')) as { functions: Record<string, { environment: Record<string, string> }> };
      assert.deepEqual(Object.keys(stack.functions), ['mobilenetv3-small']);
      assert.ok(!Object.keys(stack.functions['mobilenetv3-small']!.environment).some((k) => k.startsWith('MOPAR_URL_')), 'no hops to call');
    } else {
      const services = parseAllDocuments(readFileSync(join(out, 'knative.yaml'), 'utf8')).map((x) => x.toJS() as { kind: string; metadata: { name: string; labels: Record<string, string> } });
      assert.deepEqual(services.map((s) => [s.metadata.name, s.metadata.labels['mopar.dev/role']]), [['mobilenetv3-small', 'model']]);
    }
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(readme, /The model's one function \(no entry in front of it\) speaks/);
    assert.doesNotMatch(readme, /Between functions|runs the state machine/);

    const run = await localRun(out, { limits: false });
    try {
      assert.equal(run.functions.length, 1);
      assert.ok(run.functions[0]!.entry);
      const own = run.functions[0]!.url; // a Lambda function has no address of its own here: its URL is the front's
      const request = readFileSync(join(out, 'request.json'));
      const req = JSON.parse(request.toString()) as { inputs: Array<{ shape: number[]; data: number[] }> };
      const want = Object.values(await runSession(await openSession(MODEL), { input: { dtype: 'float32', dims: req.inputs[0]!.shape, data: Float32Array.from(req.inputs[0]!.data) } }))[0]!;
      // Through the platform's router (local-run's front) and at the function's own address: the same answer.
      for (const base of [run.url, ...(own ? [own] : [])]) {
        const r = await httpRequest(`${base}/v2/models/mobilenetv3-small/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request });
        assert.equal(r.status, 200, r.body.toString());
        const got = parseInferResponse(r.body, undefined).outputs[0]!;
        const c = allclose({ dtype: 'float32', dims: got.shape, data: Float32Array.from(got.data as number[]) }, want);
        assert.ok(c.ok, `${base}: ${JSON.stringify(c)}`);
      }
      if (own) {
        const metrics = await httpRequest(`${own}/metrics`, { method: 'GET' });
        assert.equal(metrics.status, 200);
        assert.match(metrics.body.toString(), /mobilenetv3-small/, 'the model\'s requests are counted under its name');
      }
      const wrong = await httpRequest(`${own ?? run.url}/v2/models/mobilenetv3-small/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,2,2],"data":[0,0,0,0,0,0,0,0,0,0,0,0]}]}') });
      assert.equal(wrong.status, 400, 'a wrong shape is the client\'s error, named');
    } finally {
      await run.close();
    }
  });
}
