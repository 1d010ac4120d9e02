/**
 * Knative target: one `serving.knative.dev/v1` Service per slice (CPU/memory requests and limits from the plan,
 * containerConcurrency 1: a slice is sized for one inference at a time) and the gateway Service that chains
 * them, configured with the slices' cluster-local URLs (a model of one function is its own endpoint: folder.ts
 * `servesItself`). Every Service speaks the Open Inference Protocol; the
 * gateway's is the model's endpoint. Pods run as the image's non-root `node` user with a read-only root filesystem,
 * no privilege escalation and no capabilities (nothing in a function writes to disk, so no volume either).
 * Images are tagged by their folder's content hash.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyYaml as stringify } from './cfn-yaml.js';
import type { DeployInput } from './manifest.js';
import { dnsLabel, platformNames } from './manifest.js';
import type { DeployOptions, DeployResult, DeployedFunction, Runtimes } from './types.js';
import { GENERATED, S3_SDK, WEIGHTS_PREFIX, s3SdkVersion, contentTag, functionConfig, stageWeights, leanInstall, mallocEnvLines, packageBytes, packageJson, pipelineConfig, servesItself, writeEntryFolder, writeSliceFolder } from './folder.js';
import { buildImagesScript, cpuQuantity, memQuantity, NODE_UID, SECURITY_CONTEXT } from './k8s.js';
import { containerBatchingReadme, HTTP_CHAIN_README, type Target } from './target.js';
import { deployedGroups, entryConcurrency, entryTarget } from './batching.js';
import { KNATIVE_WEIGHTS_SECRET, storeName, uploadCommand, weightsEnv } from './weights.js';
import { getPlatform } from '../plan/index.js';

/** The container port (Knative sets $PORT to it). */
const PORT = 8080;

// A model-loading server runs with the local hosts' glibc malloc settings (core/malloc.ts).
const dockerfile = (ort: boolean) => `# ${GENERATED}
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json ./
${ort ? `RUN ${leanInstall('"$(node -p process.arch)"')}\n` : ''}COPY . ./
USER ${NODE_UID}
ENV NODE_ENV=production
${ort ? mallocEnvLines() : ''}CMD ["node", "server.js"]
`;
const SLICE_SERVER = `'use strict';
// ${GENERATED} One model slice as a Knative Service: the Open Inference Protocol on $PORT.
const rt = require('./mopar-runtime.js');
rt.serveHandler(rt.openfaasFunction(__dirname), Number(process.env.PORT || 8080));
`;
const MODEL_SERVER = `'use strict';
// ${GENERATED} The model's endpoint (Open Inference Protocol on $PORT): its one function, run in this process.
const rt = require('./mopar-runtime.js');
rt.serveHandler(rt.openfaasModel(__dirname), Number(process.env.PORT || 8080));
`;
const GATEWAY_SERVER = `'use strict';
// ${GENERATED} The model's endpoint (Open Inference Protocol on $PORT): calls the slice Services at the URLs in MOPAR_URL_* env.
const rt = require('./mopar-runtime.js');
rt.serveHandler(rt.openfaasEntry(__dirname), Number(process.env.PORT || 8080));
`;

export async function deployKnative(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const { manifest, functions } = input;
  const prefix = opts.name ?? manifest.model;
  const ns = dnsLabel(opts.namespace ?? 'default');
  const names = input.names ?? platformNames(prefix, functions);
  const gatewayName = dnsLabel(prefix);
  const registry = opts.registry!;
  const partOf = { 'app.kubernetes.io/part-of': `mopar-${gatewayName}`.slice(0, 63), 'app.kubernetes.io/managed-by': 'mopar' };
  const scale = { 'autoscaling.knative.dev/min-scale': String(opts.minScale ?? 1), 'autoscaling.knative.dev/max-scale': String(opts.maxScale ?? 20) };
  const timeoutSeconds = opts.timeoutS ?? 60;
  const files: string[] = [];
  const deployed: DeployedFunction[] = [];
  const docs: unknown[] = [];
  const images: string[] = [];
  type Extra = { envFrom?: unknown[]; volumes?: unknown[]; volumeMounts?: unknown[] };
  const service = (name: string, image: string, concurrency: number, res: Record<string, string>, env: Record<string, string>, labels: Record<string, string>, annotations: Record<string, string> = {}, extra: Extra = {}) => ({
    apiVersion: 'serving.knative.dev/v1', kind: 'Service',
    metadata: { name, namespace: ns, labels: { ...partOf, ...labels } },
    spec: { template: {
      metadata: { annotations: { ...scale, ...annotations } },
      spec: {
        containerConcurrency: concurrency, timeoutSeconds,
        containers: [{
          name: 'function', image, ports: [{ containerPort: PORT }],
          ...(Object.keys(env).length ? { env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) } : {}),
          ...(extra.envFrom ? { envFrom: extra.envFrom } : {}),
          ...(extra.volumeMounts ? { volumeMounts: extra.volumeMounts } : {}),
          resources: { requests: res, limits: res },
          readinessProbe: { httpGet: { path: '/v2/health/ready', port: PORT } },
          securityContext: SECURITY_CONTEXT,
        }],
        ...(extra.volumes ? { volumes: extra.volumes } : {}),
      },
    } },
  });
  const folder = (name: string, written: string[], ort: boolean) => {
    files.push(...written);
    const image = `${registry}/${name}:${contentTag(written)}`;
    images.push(`${image} functions/${name}`);
    return { image, bytes: packageBytes(written, ort) };
  };

  // --weights s3: the slices fetch their weights at start into an emptyDir at /tmp (the root filesystem stays
  // read-only), with the store's credentials from an optional Secret.
  const fetched = opts.weights === 's3';
  // One function: it is the model's endpoint, under the gateway's name (the same URL).
  const itself = servesItself(input);
  if (itself) names.set(functions[0]!.name, gatewayName);
  const pipeline = pipelineConfig(input, names);
  for (const fn of functions) {
    if (input.emitted?.has(fn.name)) continue;
    const name = names.get(fn.name)!;
    const staged = fetched ? stageWeights(out, name, fn) : undefined;
    const f = folder(name, writeSliceFolder(join(out, 'functions', name), fn, runtimes.function, { ...functionConfig(fn, input), ...(staged ? { weights: staged.weights } : {}) }, {
      'server.js': itself ? MODEL_SERVER : SLICE_SERVER, 'package.json': packageJson(name, { main: 'server.js', ...(fetched ? { dependencies: { [S3_SDK]: s3SdkVersion() } } : {}) }), Dockerfile: dockerfile(true),
      ...(itself ? { 'pipeline.json': `${JSON.stringify(pipeline, null, 2)}\n` } : {}),
    }), true);
    if (staged) files.push(...staged.files);
    const extra: Extra = staged ? {
      envFrom: [{ secretRef: { name: KNATIVE_WEIGHTS_SECRET, optional: true } }],
      volumeMounts: [{ name: 'weights', mountPath: '/tmp' }],
      volumes: [{ name: 'weights', emptyDir: { sizeLimit: memQuantity(staged.bytes * 1.1 / 2 ** 20 + 16) } }],
    } : {};
    docs.push(service(name, f.image, 1, { cpu: cpuQuantity(fn.vcpu), memory: memQuantity(fn.memoryMB) }, fetched ? weightsEnv(opts) : {}, { 'mopar.dev/role': itself ? 'model' : 'slice', 'mopar.dev/group': dnsLabel(fn.group) }, {}, extra));
    deployed.push({ function: fn.name, name, memoryMB: fn.memoryMB, vcpu: fn.vcpu, packaging: 'container', packageBytes: f.bytes, weights: fetched ? 's3' : 'image' });
  }
  const b = input.batching;
  const concurrency = b ? entryConcurrency(b) : 0;
  if (!itself) {
    const g = folder(gatewayName, writeEntryFolder(join(out, 'functions', gatewayName), pipeline, runtimes.gateway,
      { 'server.js': GATEWAY_SERVER, 'package.json': packageJson(gatewayName, { main: 'server.js' }, false), Dockerfile: dockerfile(false) }), false);
    const urls: Record<string, string> = {};
    for (const f of pipeline.functions) urls[f.urlEnv] = `http://${names.get(f.name)}.${ns}.svc.cluster.local`;
    // The gateway mostly waits on its slices: many requests per instance. Batching: one gateway instance must hold
    // the requests of the batches forming and running (a hard limit below that would keep batches from filling), and
    // the autoscaler adds instances at one full batch per group, not earlier (every instance splits the stream).
    const batchAnnotations: Record<string, string> = b ? {
      'autoscaling.knative.dev/metric': 'concurrency', 'autoscaling.knative.dev/target': String(entryTarget(b)),
      'mopar.dev/batching': JSON.stringify(b.groups.map((x) => ({ apps: x.apps.map((a) => a.name), maxBatch: x.maxBatch, timeoutMs: x.timeoutMs }))),
    } : {};
    // The gateway's size is the (Kubernetes) openfaas platform record's entry, so the planner prices what runs here.
    const entry = getPlatform('openfaas').orchestration.entry;
    docs.push(service(gatewayName, g.image, concurrency, { cpu: cpuQuantity(entry.vcpu), memory: memQuantity(entry.memoryMB) }, urls, { 'mopar.dev/role': 'gateway' }, batchAnnotations));
    deployed.push({ function: '$entry', name: gatewayName, memoryMB: entry.memoryMB, vcpu: entry.vcpu, packaging: 'container', packageBytes: g.bytes });
  }

  const main = join(out, 'knative.yaml');
  writeFileSync(main, `# ${GENERATED} Deploy: kubectl apply -f knative.yaml\n${docs.map((d) => stringify(d)).join('---\n')}`);
  files.push(main);
  const buildSh = join(out, 'build-images.sh');
  writeFileSync(buildSh, buildImagesScript(images), { mode: 0o755 });
  files.push(buildSh);
  return {
    target: 'knative', out, main, files, functions: deployed, warnings: [],
    ...(b ? { batching: { groups: deployedGroups(b), settings: [
      `knative.yaml: Service ${gatewayName} containerConcurrency ${concurrency}, autoscaling.knative.dev/metric concurrency, autoscaling.knative.dev/target ${entryTarget(b)}`,
      `functions/${gatewayName}/pipeline.json: batching groups (${b.groups.map((x) => `${x.name}: maxBatch ${x.maxBatch}, timeoutMs ${Math.round(x.timeoutMs)}`).join('; ')})`,
      'knative.yaml: every slice Service containerConcurrency 1 (one batch at a time per instance)',
    ] } } : {}),
    ...(fetched ? { weights: {
      source: 's3' as const, store: storeName(opts.weightsEndpoint), bucket: opts.weightsBucket, prefix: WEIGHTS_PREFIX,
      upload: uploadCommand(opts.weightsBucket!, opts.weightsEndpoint), notes: [],
    } } : {}),
    commands: [
      `cd ${out}`, './build-images.sh',
      ...(fetched ? [
        uploadCommand(opts.weightsBucket!, opts.weightsEndpoint),
        `kubectl create secret generic ${KNATIVE_WEIGHTS_SECRET} -n ${ns} --from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" --from-literal=AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"`,
      ] : []),
      'kubectl apply -f knative.yaml', `kubectl wait ksvc --all -n ${ns} --for=condition=Ready --timeout=300s`,
      `KNATIVE_URL=$(kubectl get ksvc ${gatewayName} -n ${ns} -o jsonpath='{.status.url}')`,
      `mopar invoke "$KNATIVE_URL" --model ${manifest.model} --input request.json --json`,
    ],
  };
}

export const knative: Target = {
  id: 'knative', deploy: deployKnative, cluster: true, weightsBucket: 'flag',
  readme: {
    metrics: true,
    requests: HTTP_CHAIN_README,
    requestsAlone: [],
    batching: containerBatchingReadme('containerConcurrency',
      '- Above containerConcurrency Knative\'s queue-proxy holds requests outside the container: they wait without joining a batch.'),
    package: 'image',
    weightsAccess: `Credentials: the Secret \`mopar-weights\` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; optional where the store needs none). The weights go to an emptyDir at /tmp (the root filesystem stays read-only): Knative must allow emptyDir volumes (feature flag \`kubernetes.podspec-emptydir\`, on by default in recent releases).`,
  },
};
