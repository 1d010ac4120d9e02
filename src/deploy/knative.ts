/**
 * Knative target: one `serving.knative.dev/v1` Service per slice (CPU/memory requests and limits from the plan,
 * containerConcurrency 1: a slice is sized for one inference at a time) and the gateway Service that chains
 * them, configured with the slices' cluster-local URLs. Every folder has a Dockerfile on a glibc Node 20 image.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyYaml as stringify } from './cfn-yaml.js';
import type { DeployInput } from './manifest.js';
import { dnsLabel, platformNames } from './manifest.js';
import type { DeployOptions, DeployResult, DeployedFunction, Runtimes } from './types.js';
import { GENERATED, functionConfig, packageJson, urlEnv, writeEntryFolder, writeSliceFolder } from './folder.js';
import { cpuQuantity, memQuantity } from './openfaas.js';
import type { PipelineConfig } from './function-runtime/config.js';

// Other OSes' onnxruntime binaries are dead weight in a Linux image (both Linux arches kept: amd64 or arm64 nodes).
const PRUNE = 'rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32';
const DOCKERFILE = `# ${GENERATED}
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund && ${PRUNE}
COPY . ./
USER node
ENV NODE_ENV=production
CMD ["node", "server.js"]
`;
const SLICE_SERVER = `'use strict';
// ${GENERATED} One model slice as a Knative Service: the node20-contract handler behind an HTTP server on $PORT.
const rt = require('./mopar-runtime.js');
rt.serveHandler(rt.openfaasFunction(__dirname), Number(process.env.PORT || 8080));
`;
const GATEWAY_SERVER = `'use strict';
// ${GENERATED} The model's endpoint: calls the slice Services at the URLs in MOPAR_URL_* env.
const rt = require('./mopar-runtime.js');
rt.serveHandler(rt.openfaasEntry(__dirname), Number(process.env.PORT || 8080));
`;

export async function deployKnative(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const { manifest, functions, stages } = input;
  const prefix = opts.name ?? manifest.model;
  const ns = dnsLabel(opts.namespace ?? 'default');
  const names = platformNames(prefix, functions);
  const gatewayName = dnsLabel(prefix);
  const registry = opts.registry ?? 'localhost:5000';
  const partOf = { 'app.kubernetes.io/part-of': `mopar-${gatewayName}`.slice(0, 63), 'app.kubernetes.io/managed-by': 'mopar' };
  const scale = { 'autoscaling.knative.dev/min-scale': String(opts.minScale ?? 1), 'autoscaling.knative.dev/max-scale': String(opts.maxScale ?? 20) };
  const timeoutSeconds = opts.timeoutS ?? 60;
  const files: string[] = [];
  const deployed: DeployedFunction[] = [];
  const docs: unknown[] = [];
  const service = (name: string, concurrency: number, res: Record<string, string>, env: Record<string, string>, role: string) => ({
    apiVersion: 'serving.knative.dev/v1', kind: 'Service',
    metadata: { name, namespace: ns, labels: { ...partOf, 'mopar.dev/role': role } },
    spec: { template: {
      metadata: { annotations: scale },
      spec: {
        containerConcurrency: concurrency, timeoutSeconds,
        containers: [{
          image: `${registry}/${name}:latest`,
          env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
          resources: { requests: res, limits: res },
        }],
      },
    } },
  });

  for (const fn of functions) {
    const name = names.get(fn.name)!;
    files.push(...writeSliceFolder(join(out, 'functions', name), fn, runtimes.function, functionConfig(fn),
      { 'server.js': SLICE_SERVER, 'package.json': packageJson(name, { main: 'server.js' }), Dockerfile: DOCKERFILE }));
    docs.push(service(name, 1, { cpu: cpuQuantity(fn.vcpu), memory: memQuantity(fn.memoryMB) }, { MOPAR_GROUP: fn.group }, 'slice'));
    deployed.push({ function: fn.name, name, memoryMB: fn.memoryMB, vcpu: fn.vcpu, packaging: 'container' });
  }
  const pipeline: PipelineConfig = {
    model: manifest.model, inputs: manifest.inputs, outputs: manifest.outputs,
    functions: stages.flatMap((s) => s.functions).map((fn) => ({ name: fn.name, inputs: fn.inputs, outputs: fn.outputs, urlEnv: urlEnv(names.get(fn.name)!) })),
  };
  files.push(...writeEntryFolder(join(out, 'functions', gatewayName), pipeline, runtimes.gateway,
    { 'server.js': GATEWAY_SERVER, 'package.json': packageJson(gatewayName, { main: 'server.js' }, false), Dockerfile: DOCKERFILE }));
  const urls: Record<string, string> = {};
  for (const f of pipeline.functions) urls[f.urlEnv] = `http://${names.get(f.name)}.${ns}.svc.cluster.local`;
  // The gateway mostly waits on its slices: many requests per instance.
  docs.push(service(gatewayName, 0, { cpu: '250m', memory: '256Mi' }, urls, 'gateway'));
  deployed.push({ function: '$entry', name: gatewayName, memoryMB: 256, vcpu: 0.25, packaging: 'container' });

  const main = join(out, 'knative.yaml');
  writeFileSync(main, `# ${GENERATED} Deploy: kubectl apply -f knative.yaml\n${docs.map((d) => stringify(d)).join('---\n')}`);
  files.push(main);
  const buildSh = join(out, 'build-images.sh');
  writeFileSync(buildSh, `#!/bin/sh\n# ${GENERATED} Builds and pushes one image per function folder.\nset -eu\nREGISTRY="\${REGISTRY:-${registry}}"\ncd "$(dirname "$0")/functions"\nfor d in */; do\n  n="\${d%/}"\n  docker build -t "$REGISTRY/$n:latest" "$n"\n  docker push "$REGISTRY/$n:latest"\ndone\n`, { mode: 0o755 });
  files.push(buildSh);
  return {
    target: 'knative', out, main, files, functions: deployed, warnings: [],
    commands: [`cd ${out}`, './build-images.sh', 'kubectl apply -f knative.yaml', `kubectl get ksvc ${gatewayName} -n ${ns}`],
  };
}
