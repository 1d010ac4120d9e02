import type { Command } from 'commander';
import { relative } from 'node:path';
import { deploy, DEPLOY_TARGETS, DEFAULT_LAMBDA_RUNTIME, LAMBDA_RUNTIMES, type DeployResult, type DeployTarget, type LambdaRuntime, type WeightsSource } from '../../deploy/index.js';
import { MoparError } from '../../core/index.js';
import { examples, intOption, jsonOption, outputOption, printJson, table } from '../options.js';

export function registerDeploy(program: Command): void {
  const cmd = program.command('deploy')
    .description('deploy artifacts for a built directory: OpenFaaS stack.yml, AWS SAM template + Step Functions, or Knative Services')
    .argument('<dir>', 'built directory (manifest.json + one ONNX file per function)')
    .requiredOption('--target <target>', `one of: ${DEPLOY_TARGETS.join(', ')}`);
  outputOption(cmd, 'dir', 'output folder (empty or new; see --force)', true);
  examples(cmd, [
    'mopar deploy model.parts --target lambda -o deploy/lambda',
    'mopar deploy model.parts --target openfaas --registry registry.example:5000 -o deploy/openfaas',
  ]);
  cmd
    .option('--force', 'replace the output folder if it holds an earlier mopar deploy output')
    .option('--name <prefix>', 'prefix of function/service names (default: the model name)')
    .option('--registry <registry>', 'container registry for images, all targets (default: env MOPAR_REGISTRY, else localhost:5000; Lambda: an ECR repository for image functions, else SAM creates one)')
    .option('--gateway <url>', 'OpenFaaS gateway URL written into stack.yml', 'http://127.0.0.1:8080')
    .option('--namespace <ns>', 'Kubernetes namespace (Knative services; OpenFaaS gateway namespace for in-cluster URLs)')
    .option('--timeout <seconds>', 'function timeout in seconds', intOption('--timeout'), 60)
    .option('--min-scale <n>', 'minimum instances per function (OpenFaaS, Knative); default: 0 where the plan predicts a cold request within its SLO, else 1 (the deploy README says which and why)', intOption('--min-scale', 0))
    .option('--max-scale <n>', 'maximum instances per function', intOption('--max-scale'), 20)
    .option('--lambda-runtime <id>', `Lambda runtime: ${LAMBDA_RUNTIMES.join(' | ')}`, DEFAULT_LAMBDA_RUNTIME)
    .option('--weights <source>', 'where slices get their weights: image (baked in, default) | s3 (fetched at cold start from an object store)', 'image')
    .option('--weights-bucket <name>', '--weights s3 on openfaas/knative: the bucket holding the weights')
    .option('--weights-endpoint <url>', '--weights s3 on openfaas/knative: an S3-compatible endpoint (MinIO, https://storage.googleapis.com, https://oss-REGION.aliyuncs.com)')
    .option('--batching <plan>', 'batch requests per application group as planned by mopar plan MODEL --apps … -o PLAN (the entry batches; platform concurrency set to match)');
  jsonOption(cmd);
  cmd.action(async (dir: string, opts: { target: string; output: string; force?: boolean; name?: string; registry?: string; gateway: string; namespace?: string; timeout: number; minScale?: number; maxScale: number; lambdaRuntime: string; json?: boolean; batching?: string; weights: string; weightsBucket?: string; weightsEndpoint?: string }) => {
      if (!DEPLOY_TARGETS.includes(opts.target as DeployTarget)) {
        throw new MoparError(`unknown --target '${opts.target}' (choose one of: ${DEPLOY_TARGETS.join(', ')})`);
      }
      if (!(LAMBDA_RUNTIMES as readonly string[]).includes(opts.lambdaRuntime)) {
        throw new MoparError(`unknown --lambda-runtime '${opts.lambdaRuntime}' (choose one of: ${LAMBDA_RUNTIMES.join(', ')})`);
      }
      if (opts.minScale !== undefined && opts.minScale > opts.maxScale) throw new MoparError(`--min-scale ${opts.minScale} exceeds --max-scale ${opts.maxScale}`);
      const res = await deploy(dir, opts.output, {
        target: opts.target as DeployTarget, name: opts.name, registry: opts.registry, gateway: opts.gateway,
        namespace: opts.namespace, timeoutS: opts.timeout, minScale: opts.minScale, maxScale: opts.maxScale,
        lambdaRuntime: opts.lambdaRuntime as LambdaRuntime, force: opts.force, batching: opts.batching,
        weights: opts.weights as WeightsSource, weightsBucket: opts.weightsBucket, weightsEndpoint: opts.weightsEndpoint,
      });
      if (opts.json) printJson(res);
      else process.stdout.write(`${render(res)}\n`);
    });
}

function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function render(r: DeployResult): string {
  const mb = (b?: number) => (b === undefined ? '' : (b / 2 ** 20).toFixed(1));
  return [
    `${r.target}: wrote ${r.files.length} files under ${r.out}; main file ${shortPath(r.main)}`,
    '',
    table(['function', 'name', 'memoryMB', 'vcpu', 'packaging', 'packageMB'],
      r.functions.map((f) => [f.function, f.name, f.memoryMB, Number(f.vcpu.toFixed(2)), f.packaging, mb(f.packageBytes)])),
    ...(r.scaling ? ['', `min-scale ${r.scaling.minScale}: ${r.scaling.why}`] : []),
    ...(r.warnings.length ? ['', ...r.warnings.map((w) => `warning: ${w}`)] : []),
    '',
    'deploy with:',
    ...r.commands.map((c) => `  ${c}`),
    '',
    `run it on this machine: mopar local-run ${shortPath(r.out)} --port 8080`,
  ].join('\n');
}
