/**
 * deploy: turns a built directory (manifest.json + one ONNX file per function) into what a serverless
 * platform's own tools deploy — OpenFaaS (faas-cli), AWS Lambda (SAM + Step Functions), Knative (kubectl).
 * Every generated function runs the same function-host core as the embedded runtime (src/runtime).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MoparError } from '../core/errors.js';
import { readManifestForDeploy } from './manifest.js';
import { runtimeBundle } from './bundle.js';
import { deployOpenFaas } from './openfaas.js';
import { deployLambda } from './lambda.js';
import { deployKnative } from './knative.js';
import { writeReadme } from './readme.js';
import { DEPLOY_TARGETS, type DeployOptions, type DeployResult } from './types.js';

export * from './types.js';
export { readManifestForDeploy, stagesOf, dnsLabel, platformNames, type Stage, type DeployInput, type DeployFunction } from './manifest.js';
export { runtimeBundle, RUNTIME_FILE, type RuntimeKind } from './bundle.js';
export { parseCfnYaml, stringifyCfnYaml, cfn } from './cfn-yaml.js';
export { buildStateMachine, type AslDefinition } from './asl.js';
export { ZIP_LIMIT_BYTES, INLINE_LIMIT_BYTES, ortLinuxBytes } from './lambda.js';

export async function deploy(dir: string, out: string, opts: DeployOptions): Promise<DeployResult> {
  if (!DEPLOY_TARGETS.includes(opts.target)) {
    throw new MoparError(`unknown deploy target '${opts.target}' (choose one of: ${DEPLOY_TARGETS.join(', ')})`);
  }
  const input = readManifestForDeploy(resolve(dir));
  const outDir = resolve(out);
  if (outDir === resolve(dir)) throw new MoparError('the output folder must differ from the build folder');
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(resolve(outDir, '.mopar-deploy'))) {
    throw new MoparError(`${out} exists and is not empty (and not an earlier mopar deploy output); choose an empty folder`);
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resolve(outDir, '.mopar-deploy'), `${opts.target}\n`);
  const runtimes = { function: await runtimeBundle('function'), gateway: await runtimeBundle('gateway') };
  const adapter = { openfaas: deployOpenFaas, lambda: deployLambda, knative: deployKnative }[opts.target];
  const res = await adapter(input, outDir, opts, runtimes);
  writeReadme(res, input.manifest);
  return res;
}
