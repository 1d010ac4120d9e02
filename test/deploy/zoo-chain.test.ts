/**
 * The handler chain on every tiny zoo model: cut into 3 slices, deployed for OpenFaaS and Lambda; the OpenFaaS
 * entry (KServe v2) chains the slice handlers through a local gateway (node20 contract), the Step Functions definition
 * chains the Lambda handlers under lambda-local (tensors over a 2 KB inline limit staged in an in-memory bucket).
 * Both must reproduce the unsplit model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ZOO_NAMES, buildZooModel } from '../../src/zoo/index.js';
import { deploy, parseCfnYaml } from '../../src/deploy/index.js';
import { decodeJsonTensor, encodeJson, tensorFromBytes, type WireMessage } from '../../src/deploy/function-runtime/wire.js';
import { infer } from '../../src/runtime/index.js';
import type { Feeds } from '../../src/graph/index.js';
import { cleanup, linkOrt, maxRelErr, reference, tmpDir, writeBuiltDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';
import { runStateMachine } from './asl-run.js';

type Store = { objects: Map<string, Uint8Array>; get(b: string, k: string): Promise<Uint8Array> };
const runtimeOf = (dir: string) => createRequire(join(dir, 'handler.js'))('./mopar-runtime.js') as { lambdaFunction(d: string, o: unknown): unknown; memoryStore(): Store };

for (const name of ZOO_NAMES) {
  test(`${name} (tiny): OpenFaaS and Lambda handler chains reproduce the unsplit model`, async (t) => {
    const d = tmpDir(`zoo-${name}`);
    const saved = { ...process.env };
    let gw: Awaited<ReturnType<typeof startFaasGateway>> | undefined;
    try {
      const built = await writeBuiltDir(buildZooModel(name, { tiny: true }), join(d, 'built'), 3, name);
      assert.ok(built.manifest.functions.length >= 2, 'really split');
      const { feeds, expected } = await reference(built);

      const of = join(d, 'openfaas');
      await deploy(built.dir, of, { target: 'openfaas' });
      linkOrt(of);
      const stack = parse(readFileSync(join(of, 'stack.yml'), 'utf8')) as { functions: Record<string, { handler: string; environment: Record<string, string> }> };
      gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(of, f.handler)])));
      const entry = Object.entries(stack.functions).find(([, f]) => Object.keys(f.environment).some((k) => k.startsWith('MOPAR_URL_')))!;
      for (const [k, v] of Object.entries(entry[1].environment)) process.env[k] = v.replace(/^http:\/\/gateway\.openfaas:8080/, gw.url);
      const r = await infer(`${gw.url}/function/${entry[0]}`, built.manifest.model, feeds);
      const ofErr = maxRelErr(r.outputs, expected);
      assert.ok(ofErr <= 1e-4, `OpenFaaS chain: max relative error ${ofErr}`);

      const lam = join(d, 'lambda');
      await deploy(built.dir, lam, { target: 'lambda' });
      linkOrt(lam);
      const template = parseCfnYaml(readFileSync(join(lam, 'template.yaml'), 'utf8'));
      const definition = JSON.parse(readFileSync(join(lam, 'statemachine', 'pipeline.asl.json'), 'utf8'));
      let store: Store | undefined;
      const result = await runStateMachine({
        template, out: lam,
        // A low inline limit, so that tiny models' tensors take the staging path too.
        environment: () => ({ MOPAR_STAGING_BUCKET: 'bucket', MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: '2048' }),
        lambdaFunc: (dir) => { const rt = runtimeOf(dir); store ??= rt.memoryStore(); return { handler: rt.lambdaFunction(dir, { store }) }; },
      }, definition, encodeJson(feeds)) as WireMessage;
      const got: Feeds = {};
      for (const [k, w] of Object.entries(result.tensors)) {
        got[k] = w.s3 ? tensorFromBytes(k, w.dtype, w.shape, await store!.get(w.s3.bucket, w.s3.key)) : decodeJsonTensor(k, w);
      }
      const lamErr = maxRelErr(got, expected);
      assert.ok(lamErr <= 1e-4, `Lambda chain: max relative error ${lamErr}`);
      t.diagnostic(`${built.manifest.functions.length} functions; maxRelErr openfaas ${ofErr.toExponential(2)}, lambda ${lamErr.toExponential(2)}; ${store?.objects.size ?? 0} tensors staged in the bucket`);
    } finally {
      await gw?.close();
      process.env = saved;
      cleanup(d);
    }
  });
}
