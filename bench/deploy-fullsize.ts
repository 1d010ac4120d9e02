/**
 * A full-size check of `mopar deploy`: deploys a built directory for all three targets, validates what the
 * platforms' tools would read (YAML parses, ASL validates), then chains the generated handlers locally — Lambda
 * handlers under lambda-local following the state machine (staging in an in-memory bucket), the OpenFaaS entry
 * through a node20-contract gateway — and compares with the unsplit model. Timings are this machine's, cold
 * (first call loads every slice) and warm.
 * Run: node --import tsx bench/deploy-fullsize.ts MODEL.onnx BUILT_DIR
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { deploy, parseCfnYaml, type DeployTarget } from '../src/deploy/index.js';
import { decodeJsonTensor, encodeJson, tensorFromBytes, type WireMessage } from '../src/deploy/function-runtime/wire.js';
import { infer } from '../src/runtime/index.js';
import { openModel, openSession, randomInputs, runSession, type Feeds } from '../src/graph/index.js';
import { runStateMachine } from '../test/deploy/asl-run.js';
import { startFaasGateway } from '../test/deploy/faas-gateway.js';
import { cleanup, linkOrt, maxRelErr, tmpDir } from '../test/deploy/helpers.js';

type Store = { objects: Map<string, Uint8Array>; get(b: string, k: string): Promise<Uint8Array> };
const [model, built] = process.argv.slice(2);
if (!model || !built) throw new Error('usage: bench/deploy-fullsize.ts MODEL.onnx BUILT_DIR');
const req = createRequire(import.meta.url);
const validateAsl = req('asl-validator') as (d: unknown) => { isValid: boolean; errors: unknown[] };
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
const out = tmpDir('fullsize');
try {
  for (const target of ['lambda', 'openfaas', 'knative'] as DeployTarget[]) {
    const t = performance.now();
    const r = await deploy(built, join(out, target), { target });
    console.log(`deploy ${target}: ${ms(t)}, ${r.files.length} files, ${r.functions.map((f) => `${f.name}:${f.packaging}${f.packageBytes ? `(${(f.packageBytes / 2 ** 20).toFixed(0)} MiB)` : ''}`).join(' ')}`);
  }
  const { graph, inputShapes } = await openModel(model);
  const feeds = randomInputs(graph, inputShapes, 3);
  let t = performance.now();
  const s = await openSession(model);
  const expected = await runSession(s, feeds);
  await s.release();
  console.log(`unsplit: ${ms(t)} (load + 1 run)`);

  const lam = join(out, 'lambda');
  linkOrt(lam);
  const template = parseCfnYaml(readFileSync(join(lam, 'template.yaml'), 'utf8'));
  const definition = JSON.parse(readFileSync(join(lam, 'statemachine', 'pipeline.asl.json'), 'utf8'));
  console.log(`asl-validator: ${JSON.stringify(validateAsl(structuredClone(definition)).errors)}`);
  let store: Store | undefined;
  t = performance.now();
  const res = await runStateMachine({
    template, out: lam,
    environment: (_id, env) => ({ MOPAR_STAGING_BUCKET: 'bucket', MOPAR_INLINE_LIMIT_BYTES: String(env.MOPAR_INLINE_LIMIT_BYTES) }),
    lambdaFunc: (dir) => {
      const rt = createRequire(join(dir, 'handler.js'))('./mopar-runtime.js') as { lambdaFunction(d: string, o: unknown): unknown; memoryStore(): Store };
      store ??= rt.memoryStore();
      return { handler: rt.lambdaFunction(dir, { store }) };
    },
  }, definition, encodeJson(feeds)) as WireMessage;
  const got: Feeds = {};
  for (const [k, w] of Object.entries(res.tensors)) got[k] = w.s3 ? tensorFromBytes(k, w.dtype, w.shape, await store!.get(w.s3.bucket, w.s3.key)) : decodeJsonTensor(k, w);
  console.log(`lambda chain (cold): ${ms(t)}, staged ${[...store?.objects.values() ?? []].map((v) => v.byteLength)} bytes, maxRelErr ${maxRelErr(got, expected)}`);

  const of = join(out, 'openfaas');
  linkOrt(of);
  const stack = parse(readFileSync(join(of, 'stack.yml'), 'utf8')) as { functions: Record<string, { handler: string; environment: Record<string, string> }> };
  const gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(of, f.handler)])));
  const entry = Object.entries(stack.functions).find(([, f]) => Object.keys(f.environment).some((k) => k.startsWith('MOPAR_URL_')))!;
  for (const [k, v] of Object.entries(entry[1].environment)) process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
  for (const run of ['cold', 'warm', 'warm']) {
    t = performance.now();
    const r = await infer(`${gw.url}/function/${entry[0]}`, JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')).model, feeds);
    console.log(`openfaas chain (${run}): ${ms(t)}, HTTP ${r.status}, maxRelErr ${maxRelErr(r.outputs, expected)}`);
  }
  await gw.close();
  const docs = parseAllDocuments(readFileSync(join(out, 'knative', 'knative.yaml'), 'utf8'));
  console.log(`knative.yaml: ${docs.length} documents, ${docs.flatMap((d) => d.errors).length} parse errors`);
} finally {
  cleanup(out);
}
process.exit(0);
