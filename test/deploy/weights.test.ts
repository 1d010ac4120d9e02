/**
 * `mopar deploy --weights s3`: slices without their weights, the weights staged under OUT/weights/ for upload, the
 * platform's settings for fetching them, and (OpenFaaS, run locally against a real S3-compatible server) slices
 * that fetch their weights at start through the runtime's object store and answer like the unsplit model.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import S3rver from 's3rver';
import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { deploy, parseCfnYaml } from '../../src/deploy/index.js';
import { ensureBucket, infer, s3Store } from '../../src/runtime/index.js';
import { ROOT, cleanup, linkOrt, maxRelErr, reference, tmpDir, writeBranchyDir } from './helpers.js';
import { startFaasGateway } from './faas-gateway.js';
import { cfnLint } from './cfn-lint.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const d = tmpDir('weights');
after(() => cleanup(d));

const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

test('deploy --weights s3 (OpenFaaS, run locally): slices carry no weights, fetch them from the S3-compatible store at start, and answer like the unsplit model', async () => {
  const built = await writeBranchyDir(join(d, 'built'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(d, 'store') });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const out = join(d, 'of');
  const set: string[] = [];
  let gw: Awaited<ReturnType<typeof startFaasGateway>> | undefined;
  try {
    const res = await deploy(built.dir, out, { target: 'openfaas', weights: 's3', weightsBucket: 'mopar-w', weightsEndpoint: endpoint });
    const stack = parse(readFileSync(res.main, 'utf8')) as { functions: Record<string, { handler: string; environment: Record<string, string>; secrets?: string[] }> };
    const slices = Object.entries(stack.functions).filter(([n]) => n !== 'branchy');
    assert.equal(slices.length, 5);
    for (const [name, f] of slices) {
      assert.ok(!existsSync(join(out, f.handler, 'model.onnx')), `${name}: no weights in the image`);
      assert.equal(f.environment.MOPAR_WEIGHTS_BUCKET, 'mopar-w');
      assert.equal(f.environment.MOPAR_S3_ENDPOINT, endpoint);
      assert.deepEqual(f.secrets, ['mopar-weights-access-key-id', 'mopar-weights-secret-access-key']);
      const cfg = JSON.parse(readFileSync(join(out, f.handler, 'function.json'), 'utf8')) as { weights: { keys: string[]; main: string } };
      assert.match(cfg.weights.main, new RegExp(`^weights/${name}/[0-9a-f]{12}/model\\.onnx$`));
      assert.ok(existsSync(join(out, cfg.weights.main)), 'staged for upload under OUT/weights/');
    }
    assert.ok(res.functions.filter((f) => f.function !== '$entry').every((f) => f.weights === 's3'));
    assert.equal(res.weights!.store, `the S3-compatible store at ${endpoint} (e.g. MinIO in the cluster)`);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(readme, /## Weights/);
    assert.ok(readme.includes(`aws s3 sync weights/ s3://mopar-w/weights/ --endpoint-url ${endpoint}`), 'README names the upload command');
    assert.ok(readme.includes('fetches its weights at cold start from the S3-compatible store at'), 'README names the store');

    // What `aws s3 sync weights/ s3://mopar-w/weights/` does, with the runtime's own store client.
    const opts = { endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    await ensureBucket(opts, 'mopar-w');
    const store = s3Store(opts);
    for (const file of walk(join(out, 'weights'))) await store.put('mopar-w', relative(out, file), readFileSync(file));

    linkOrt(out);
    // What the image's npm install gives the slices: the S3 client, which their package.json lists.
    for (const [name, f] of slices) assert.ok(JSON.parse(readFileSync(join(out, f.handler, 'package.json'), 'utf8')).dependencies['@aws-sdk/client-s3'], name);
    mkdirSync(join(out, 'node_modules', '@aws-sdk'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@aws-sdk', 'client-s3'), join(out, 'node_modules', '@aws-sdk', 'client-s3'), 'dir');
    const env: Record<string, string> = { MOPAR_WEIGHTS_BUCKET: 'mopar-w', MOPAR_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', MOPAR_SECRETS_DIR: join(d, 'no-secrets') };
    for (const [k, v] of Object.entries(env)) { if (process.env[k] === undefined) set.push(k); process.env[k] = v; }
    gw = await startFaasGateway(Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, join(out, f.handler)])));
    for (const [k, v] of Object.entries(stack.functions.branchy!.environment)) {
      if (!k.startsWith('MOPAR_URL_')) continue;
      set.push(k);
      process.env[k] = v.replace('http://gateway.openfaas:8080', gw.url);
    }
    const { feeds, expected } = await reference(built);
    const r = await infer(`${gw.url}/function/branchy`, 'branchy', feeds);
    const err = maxRelErr(r.outputs, expected);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  } finally {
    for (const k of set) delete process.env[k];
    await gw?.close();
    await server.close();
  }
});

test('deploy --weights s3: Lambda slices stay zips over the zip limit, read the stack bucket with /tmp sized to their weights; Knative slices get an emptyDir /tmp and the Secret; deploy says which it chose and why', async () => {
  const built = await writeBranchyDir(join(d, 'built-2'));
  // Over the zip limit, the default bakes the weights into a container image and says so.
  const img = await deploy(built.dir, join(d, 'lambda-image'), { target: 'lambda', lambdaZipLimitBytes: 1 });
  assert.ok(img.warnings.some((w) => /over Lambda's 0 MB zip limit: packaged as a container image with its weights baked in \(--weights s3 would keep it a zip/.test(w)), img.warnings.join('\n'));
  assert.match(readFileSync(join(d, 'lambda-image', 'README.md'), 'utf8'), /weights are in its package \(zip or container image\) \(`--weights image`, the default\)/);

  const res = await deploy(built.dir, join(d, 'lambda-s3'), { target: 'lambda', weights: 's3', lambdaZipLimitBytes: 1 });
  const t = parseCfnYaml(readFileSync(res.main, 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const fn = t.Resources.Fn0Head;
  assert.equal(fn.Properties.PackageType, undefined, 'a zip: the weights are not in it');
  assert.equal(fn.Properties.CodeUri, 'functions/branchy-head');
  assert.deepEqual(fn.Properties.Environment.Variables.MOPAR_WEIGHTS_BUCKET, { Ref: 'StagingBucket' });
  assert.ok(fn.Properties.EphemeralStorage.Size >= 512);
  assert.ok(!existsSync(join(d, 'lambda-s3', 'functions', 'branchy-head', 'model.onnx')));
  assert.doesNotMatch(readFileSync(join(d, 'lambda-s3', 'functions', 'branchy-head', 'Makefile'), 'utf8'), /model\.onnx/);
  const statements = t.Resources.FunctionRole.Properties.Policies[0].PolicyDocument.Statement;
  assert.ok(statements.some((s: { Action: string; Resource: { 'Fn::Sub': string } }) => s.Action === 's3:GetObject' && s.Resource['Fn::Sub'].endsWith('${StagingBucket}/weights/*')));
  assert.ok(res.weights!.notes.some((n) => /--weights s3 keeps it a zip that fetches its weights from S3 at cold start/.test(n)));
  const readme = readFileSync(join(d, 'lambda-s3', 'README.md'), 'utf8');
  assert.match(readme, /fetches its weights at cold start from Amazon S3/);
  assert.ok(readme.includes('aws s3 sync weights/ s3://<globally unique bucket name>/weights/'));
  const lint = cfnLint([res.main]);
  if (lint) assert.equal(lint.status, 0, `cfn-lint: ${lint.output}`);

  const kn = await deploy(built.dir, join(d, 'kn-s3'), { target: 'knative', weights: 's3', weightsBucket: 'w', weightsEndpoint: 'https://storage.googleapis.com' });
  const docs = parseAllDocuments(readFileSync(kn.main, 'utf8')).map((x) => x.toJS() as any); // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const s of docs) new Service(s).validate();
  const slice = docs.find((s) => s.metadata.labels['mopar.dev/role'] === 'slice');
  const c = slice.spec.template.spec.containers[0];
  assert.deepEqual(c.envFrom, [{ secretRef: { name: 'mopar-weights', optional: true } }]);
  assert.deepEqual(c.volumeMounts, [{ name: 'weights', mountPath: '/tmp' }]);
  assert.match(slice.spec.template.spec.volumes[0].emptyDir.sizeLimit, /^\d+Mi$/);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.ok(c.env.some((e: { name: string; value: string }) => e.name === 'MOPAR_S3_ENDPOINT' && e.value === 'https://storage.googleapis.com'));
  assert.match(readFileSync(join(d, 'kn-s3', 'README.md'), 'utf8'), /Google Cloud Storage through its S3-compatible XML API/);

  await assert.rejects(deploy(built.dir, join(d, 'e1'), { target: 'knative', weights: 's3' }), /--weights s3 on knative needs --weights-bucket NAME/);
  await assert.rejects(deploy(built.dir, join(d, 'e2'), { target: 'openfaas', weightsBucket: 'x' }), /--weights-bucket and --weights-endpoint go with --weights s3/);
  await assert.rejects(deploy(built.dir, join(d, 'e3'), { target: 'lambda', weights: 's3', weightsBucket: 'x' }), /reads the weights from the stack's own bucket/);
});
