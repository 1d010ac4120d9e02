/**
 * OpenFaaS target: stack.yml (faas-cli), one folder per slice plus the entry function that chains them through
 * the gateway (a model of one function is its own endpoint: folder.ts `servesItself`), and the `mopar-node20`
 * template they build with. The template keeps the node20 of-watchdog HTTP
 * handler contract but uses a Debian (glibc) Node 20 image: onnxruntime-node ships glibc-only binaries and does
 * not load on node20's Alpine (musl) base (microsoft/onnxruntime#12439). Every function speaks the Open
 * Inference Protocol (the entry's is the model's endpoint); functions run as the image's non-root `node` user
 * with a read-only root filesystem (OpenFaaS mounts a writable /tmp, which of-watchdog needs for its lock file).
 * Images are tagged by their folder's content hash.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyYaml as stringify } from './cfn-yaml.js';
import type { DeployInput } from './manifest.js';
import { platformNames } from './manifest.js';
import type { DeployOptions, DeployResult, DeployedFunction, Runtimes } from './types.js';
import { deployedGroups, entryConcurrency, entryTarget } from './batching.js';
import { OPENFAAS_WEIGHTS_SECRETS, storeName, uploadCommand, weightsEnv } from './weights.js';
import { GENERATED, S3_SDK, WEIGHTS_PREFIX, s3SdkVersion, contentTag, functionConfig, stageWeights, leanInstall, mallocEnvLines, packageBytes, packageJson, pipelineConfig, servesItself, writeEntryFolder, writeSliceFolder } from './folder.js';
import { tensorMetas } from './function-runtime/meta.js';
import { cpuQuantity, memQuantity } from './k8s.js';
import { containerBatchingReadme, HTTP_CHAIN_README, type Target } from './target.js';
import { atMaxBatch, atRangeTop, requestBodyLimit } from '../runtime/index.js';
import { getPlatform } from '../plan/index.js';
import { sliceBodyLimit } from './function-runtime/openfaas.js';
import { MAX_BODY_BYTES } from './function-runtime/http-server.js';

/**
 * The node20 template's body limit (bytes, as its body parser reads MAX_RAW_SIZE): the model's own request limit,
 * the one the function's handler enforces too (413 before the body is buffered).
 */
const rawSize = (bytes: number | undefined) => `${bytes ?? MAX_BODY_BYTES}b`;

export const OPENFAAS_TEMPLATE = 'mopar-node20';
const OF_WATCHDOG = 'ghcr.io/openfaas/of-watchdog:0.10.1';

const SLICE_HANDLER = `'use strict';
// ${GENERATED} One model slice behind the OpenFaaS node20 handler contract.
module.exports = require('./mopar-runtime.js').openfaasFunction(__dirname);
`;
const MODEL_HANDLER = `'use strict';
// ${GENERATED} The model's endpoint (Open Inference Protocol): its one function, run in this process.
module.exports = require('./mopar-runtime.js').openfaasModel(__dirname);
`;
const ENTRY_HANDLER = `'use strict';
// ${GENERATED} The model's endpoint (Open Inference Protocol): calls the slice functions through the gateway
// (URLs in MOPAR_URL_* env).
module.exports = require('./mopar-runtime.js').openfaasEntry(__dirname);
`;

export function templateFiles(): Record<string, string> {
  return {
    'template.yml': stringify({ language: OPENFAAS_TEMPLATE, fprocess: 'node index.js', welcome_message: 'mopar function (node20 handler contract, glibc base image)' }),
    'index.js': `'use strict';
// ${GENERATED} The of-watchdog upstream for a node20-contract handler: serves ./function/handler.js on
// http_port with the raw request body (a Buffer), as node20 does with RAW_BODY=true.
const { serveHandler } = require('./function/mopar-runtime.js');
const handler = require('./function/handler.js');
const port = Number(process.env.http_port || 3000);
serveHandler(handler, port, '127.0.0.1').then(() => console.log(\`mopar-node20 listening on port: \${port}\`));
`,
    Dockerfile: `# ${GENERATED}
FROM --platform=\${TARGETPLATFORM:-linux/amd64} ${OF_WATCHDOG} AS watchdog
FROM --platform=\${TARGETPLATFORM:-linux/amd64} node:20-bookworm-slim AS ship
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
RUN chmod +x /usr/bin/fwatchdog && mkdir -p /home/node/app/function && chown -R node:node /home/node/app
ENV NPM_CONFIG_LOGLEVEL=warn
USER node
WORKDIR /home/node/app/function
COPY --chown=node:node function/package.json ./
# onnxruntime-node without its GPU download, and only what a CPU function of this architecture loads.
RUN ${leanInstall('"$(node -p process.arch)"')}
COPY --chown=node:node function/ ./
RUN npm test
WORKDIR /home/node/app
COPY --chown=node:node index.js ./
ENV fprocess="node index.js" mode="http" upstream_url="http://127.0.0.1:3000" prefix_logs="false"
ENV exec_timeout="60s" write_timeout="65s" read_timeout="65s"
# glibc malloc as the local function hosts have it (mopar core/malloc.ts): fwatchdog passes it to node index.js.
${mallocEnvLines()}HEALTHCHECK --interval=3s CMD [ -e /tmp/.lock ] || exit 1
CMD ["fwatchdog"]
`,
  };
}

export async function deployOpenFaas(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const { manifest, functions } = input;
  const prefix = opts.name ?? manifest.model;
  const names = input.names ?? platformNames(prefix, functions);
  const entryName = platformNames('', [{ name: prefix }]).get(prefix)!;
  const registry = opts.registry!;
  const gatewayInCluster = `http://gateway.${opts.namespace ?? 'openfaas'}:8080`;
  const timeout = `${opts.timeoutS ?? 60}s`;
  const timeouts = { exec_timeout: timeout, read_timeout: timeout, write_timeout: timeout };
  const scale = { 'com.openfaas.scale.min': String(opts.minScale ?? 1), 'com.openfaas.scale.max': String(opts.maxScale ?? 20) };
  const files: string[] = [];
  const deployed: DeployedFunction[] = [];
  const stackFns: Record<string, unknown> = {};
  // --weights s3: the slices fetch their weights at start from the store's bucket (OpenFaaS mounts a writable /tmp).
  const fetched = opts.weights === 's3';

  // The template is part of every image: written first, hashed into every tag.
  const tdir = join(out, 'template', OPENFAAS_TEMPLATE);
  mkdirSync(tdir, { recursive: true });
  const templateFilesWritten = Object.entries(templateFiles()).map(([f, text]) => {
    writeFileSync(join(tdir, f), text);
    return join(tdir, f);
  });
  files.push(...templateFilesWritten);
  const image = (name: string, written: string[]) => `${registry}/${name}:${contentTag([...written, ...templateFilesWritten])}`;

  // One function: it is the model's endpoint, under the entry's name (the same URL), with the model's body limit.
  const itself = servesItself(input);
  if (itself) names.set(functions[0]!.name, entryName);
  const pipeline = pipelineConfig(input, names);
  const modelBodyLimit = requestBodyLimit(atRangeTop(atMaxBatch(tensorMetas(pipeline.inputs, pipeline.tensors), pipeline.maxBatch), pipeline.ranges));
  for (const fn of functions) {
    if (input.emitted?.has(fn.name)) continue;
    const name = names.get(fn.name)!;
    const staged = fetched ? stageWeights(out, name, fn) : undefined;
    const config = functionConfig(fn, input);
    const written = writeSliceFolder(join(out, 'functions', name), fn, runtimes.function, { ...config, ...(staged ? { weights: staged.weights } : {}) }, {
      'handler.js': itself ? MODEL_HANDLER : SLICE_HANDLER, 'package.json': packageJson(name, fetched ? { dependencies: { [S3_SDK]: s3SdkVersion() } } : {}),
      ...(itself ? { 'pipeline.json': `${JSON.stringify(pipeline, null, 2)}\n` } : {}),
    });
    files.push(...written, ...(staged?.files ?? []));
    const res = { memory: memQuantity(fn.memoryMB), cpu: cpuQuantity(fn.vcpu) };
    stackFns[name] = {
      lang: OPENFAAS_TEMPLATE, handler: `./functions/${name}`, image: image(name, written),
      environment: { RAW_BODY: 'true', MAX_RAW_SIZE: rawSize(itself ? modelBodyLimit : sliceBodyLimit(tensorMetas(config.inputs, config.tensors))), ...timeouts, ...(fetched ? weightsEnv(opts) : {}) },
      ...(fetched ? { secrets: OPENFAAS_WEIGHTS_SECRETS } : {}),
      limits: res, requests: res, labels: { ...scale, 'mopar.dev/group': fn.group }, readonly_root_filesystem: true,
    };
    deployed.push({ function: fn.name, name, memoryMB: fn.memoryMB, vcpu: fn.vcpu, packaging: 'container', packageBytes: packageBytes(written, true), weights: fetched ? 's3' : 'image' });
  }

  const b = input.batching;
  if (!itself) {
    const written = writeEntryFolder(join(out, 'functions', entryName), pipeline, runtimes.gateway, { 'handler.js': ENTRY_HANDLER, 'package.json': packageJson(entryName, {}, false) });
    files.push(...written);
    const hops: Record<string, string> = {};
    for (const f of pipeline.functions) hops[f.urlEnv] = `${gatewayInCluster}/function/${names.get(f.name)}`;
    // The entry's size is the platform record's, so the planner prices the entry deployed here.
    const entrySize = getPlatform('openfaas').orchestration.entry;
    const entryRes = { memory: memQuantity(entrySize.memoryMB), cpu: cpuQuantity(entrySize.vcpu) };
    // Batching: of-watchdog's max_inflight lets one entry instance hold the requests of the batches forming and
    // running (429 above it); the capacity autoscaler (OpenFaaS Pro; the Community Edition ignores these labels) adds
    // an instance at one full batch per group.
    const entryBatching = b ? { environment: { max_inflight: String(entryConcurrency(b)) }, labels: { 'com.openfaas.scale.type': 'capacity', 'com.openfaas.scale.target': String(entryTarget(b)) } } : undefined;
    stackFns[entryName] = {
      lang: OPENFAAS_TEMPLATE, handler: `./functions/${entryName}`, image: image(entryName, written),
      environment: { RAW_BODY: 'true', MAX_RAW_SIZE: rawSize(modelBodyLimit), ...timeouts, ...hops, ...entryBatching?.environment },
      limits: entryRes, requests: entryRes, labels: { ...scale, ...entryBatching?.labels }, readonly_root_filesystem: true,
    };
    deployed.push({ function: '$entry', name: entryName, memoryMB: entrySize.memoryMB, vcpu: entrySize.vcpu, packaging: 'container', packageBytes: packageBytes(written, false) });
  }

  const stack = { version: '1.0', provider: { name: 'openfaas', gateway: opts.gateway ?? 'http://127.0.0.1:8080' }, functions: stackFns };
  const main = join(out, 'stack.yml');
  writeFileSync(main, `# ${GENERATED} Deploy: faas-cli up -f stack.yml\n${stringify(stack)}`);
  files.push(main);
  return {
    target: 'openfaas', out, main, files, functions: deployed, warnings: [],
    ...(b ? { batching: { groups: deployedGroups(b), settings: [
      `stack.yml: function ${entryName} max_inflight ${entryConcurrency(b)}; labels com.openfaas.scale.type capacity, com.openfaas.scale.target ${entryTarget(b)}`,
      `functions/${entryName}/pipeline.json: batching groups (${b.groups.map((x) => `${x.name}: maxBatch ${x.maxBatch}, timeoutMs ${Math.round(x.timeoutMs)}`).join('; ')})`,
    ] } } : {}),
    ...(fetched ? { weights: {
      source: 's3' as const, store: storeName(opts.weightsEndpoint), bucket: opts.weightsBucket, prefix: WEIGHTS_PREFIX,
      upload: uploadCommand(opts.weightsBucket!, opts.weightsEndpoint), notes: [],
    } } : {}),
    commands: [
      `cd ${out}`,
      ...(fetched ? [
        uploadCommand(opts.weightsBucket!, opts.weightsEndpoint),
        ...OPENFAAS_WEIGHTS_SECRETS.map((n) => `faas-cli secret create ${n} --from-literal "$${n === OPENFAAS_WEIGHTS_SECRETS[0] ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}"`),
      ] : []),
      'faas-cli up -f stack.yml',
      `mopar invoke "\${OPENFAAS_URL:-${opts.gateway ?? 'http://127.0.0.1:8080'}}/function/${entryName}" --model ${manifest.model} --input request.json --json`,
    ],
  };
}

const TEMPLATE_README = [
  'Functions build with the `mopar-node20` template in `template/`: the node20 (of-watchdog HTTP) handler',
  'contract on `node:20-bookworm-slim`, because onnxruntime-node ships glibc-only binaries and does not load on',
  'the Alpine (musl) image of the stock node20 template.',
  '',
];

export const openfaas: Target = {
  id: 'openfaas', deploy: deployOpenFaas, cluster: true, weightsBucket: 'flag',
  readme: {
    metrics: true,
    requests: [...HTTP_CHAIN_README, ...TEMPLATE_README],
    requestsAlone: TEMPLATE_README,
    batching: containerBatchingReadme('max_inflight',
      '- Above max_inflight of-watchdog answers 429. The capacity labels are read by OpenFaaS Pro\'s autoscaler; the Community Edition ignores them.'),
    package: 'image',
    weightsAccess: 'Credentials: the OpenFaaS secrets `mopar-weights-access-key-id` and `mopar-weights-secret-access-key`; OpenFaaS mounts a writable /tmp.',
  },
};
