/**
 * AWS Lambda target: a SAM template.yaml with one function per slice (MemorySize from the plan: Lambda gives
 * CPU in proportion to memory), the Step Functions state machine chaining them, the S3 staging bucket for
 * tensors over the payload limits, and least-privilege roles. A slice ships as a zip while slice + runtime +
 * onnxruntime-node (Linux x64 binaries only) stay under Lambda's 250 MB unzipped limit, else as a container
 * image on the public Lambda Node.js base image of the same major.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { DeployInput } from './manifest.js';
import { dnsLabel, platformNames } from './manifest.js';
import { DEFAULT_LAMBDA_RUNTIME, type DeployOptions, type DeployResult, type DeployedFunction, type Runtimes } from './types.js';
import { GENERATED, MODEL_FILE, functionConfig, packageJson, writeSliceFolder } from './folder.js';
import { RUNTIME_FILE } from './bundle.js';
import { buildStateMachine } from './asl.js';
import { cfn, stringifyCfnYaml } from './cfn-yaml.js';

export const ZIP_LIMIT_BYTES = 250 * 1024 * 1024;
export const LAMBDA_MEMORY = { min: 128, max: 10240 };
/** Step Functions carries at most 256 KiB of state; keep inline tensors well below it. */
export const INLINE_LIMIT_BYTES = 200_000;
const PRUNE = 'rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 node_modules/onnxruntime-node/bin/napi-v*/linux/arm64';

function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((a, f) => a + dirBytes(join(p, f)), 0);
}

let ortBytes: number | undefined;
/** Unzipped bytes onnxruntime-node adds to a Linux x64 package (its JS, onnxruntime-common, linux/x64 binaries). */
export function ortLinuxBytes(): number {
  if (ortBytes !== undefined) return ortBytes;
  try {
    const req = createRequire(import.meta.url);
    const root = dirname(req.resolve('onnxruntime-node/package.json'));
    const common = dirname(createRequire(join(root, 'package.json')).resolve('onnxruntime-common/package.json'));
    const bins = join(root, 'bin');
    let linux = 0;
    for (const napi of readdirSync(bins)) linux += dirBytes(join(bins, napi, 'linux', 'x64'));
    ortBytes = dirBytes(join(root, 'dist')) + dirBytes(join(root, 'package.json')) + dirBytes(common) + linux;
  } catch {
    ortBytes = 48 * 1024 * 1024; // onnxruntime-node 1.30 linux/x64, measured
  }
  return ortBytes;
}

const HANDLER = `'use strict';
// ${GENERATED} One model slice as a Lambda function (invoked by the Step Functions state machine).
exports.handler = require('./mopar-runtime.js').lambdaFunction(__dirname);
`;

const logicalId = (fn: string, i: number) => `Fn${i}${fn.replace(/[^A-Za-z0-9]/g, '').replace(/^./, (c) => c.toUpperCase()).slice(0, 40)}`;

export async function deployLambda(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const { manifest, functions, stages } = input;
  const prefix = opts.name ?? manifest.model;
  const names = platformNames(prefix, functions, 64);
  const ids = new Map(functions.map((fn, i) => [fn.name, logicalId(fn.name, i)]));
  const keep = new Map(stages.flatMap((s) => s.functions.map((fn) => [fn.name, s.liveAfter] as const)));
  const timeout = Math.min(900, opts.timeoutS ?? 60);
  const runtimeId = opts.lambdaRuntime ?? DEFAULT_LAMBDA_RUNTIME;
  // The public Lambda base image of the same Node.js major (nodejs22.x → public.ecr.aws/lambda/nodejs:22).
  const baseImage = `public.ecr.aws/lambda/nodejs:${/^nodejs(\d+)\.x$/.exec(runtimeId)![1]}`;
  const files: string[] = [];
  const deployed: DeployedFunction[] = [];
  const warnings: string[] = [];
  const resources: Record<string, unknown> = {};
  const baseName = dnsLabel(prefix, 40);

  for (const fn of functions) {
    const id = ids.get(fn.name)!;
    const name = names.get(fn.name)!;
    const dir = join(out, 'functions', name);
    const packageBytes = fn.fileBytes + runtimes.function.length + ortLinuxBytes() + 4096;
    const image = packageBytes > (opts.lambdaZipLimitBytes ?? ZIP_LIMIT_BYTES);
    const memory = Math.min(LAMBDA_MEMORY.max, Math.max(LAMBDA_MEMORY.min, Math.ceil(fn.memoryMB)));
    // Lambda's CPU share follows memory (1 vCPU at 1,769 MB): a plan made for another platform may want more CPU.
    if (memory / 1769 < fn.vcpu * 0.9) warnings.push(`${fn.name}: ${memory} MB gives Lambda ≈${(memory / 1769).toFixed(2)} vCPU, the plan assumed ${fn.vcpu} (plan with --platform aws-lambda for Lambda-sized functions)`);
    if (memory !== Math.ceil(fn.memoryMB)) warnings.push(`${fn.name}: ${fn.memoryMB} MB is outside Lambda's ${LAMBDA_MEMORY.min}–${LAMBDA_MEMORY.max} MB; using ${memory} MB`);
    const copied = [MODEL_FILE, 'function.json', RUNTIME_FILE, 'handler.js', 'package.json'];
    const build: Record<string, string> = image
      ? { Dockerfile: `# ${GENERATED}\nFROM --platform=linux/amd64 ${baseImage}\nCOPY package.json \${LAMBDA_TASK_ROOT}/\nRUN cd \${LAMBDA_TASK_ROOT} && npm install --omit=dev --no-audit --no-fund && ${PRUNE}\nCOPY ${copied.filter((f) => f !== 'package.json').join(' ')} \${LAMBDA_TASK_ROOT}/\nCMD ["handler.handler"]\n` }
      // SAM's makefile build: install onnxruntime-node and drop the other platforms' binaries (they alone exceed 250 MB).
      : { Makefile: `# ${GENERATED} Used by \`sam build\` (BuildMethod: makefile).\nbuild-${id}:\n\tcp ${copied.join(' ')} $(ARTIFACTS_DIR)/\n\tcd $(ARTIFACTS_DIR) && npm install --omit=dev --no-audit --no-fund && ${PRUNE}\n` };
    files.push(...writeSliceFolder(dir, fn, runtimes.function, functionConfig(fn, keep.get(fn.name)), { 'handler.js': HANDLER, 'package.json': packageJson(name), ...build }));
    const common = {
      MemorySize: memory, Timeout: timeout, EphemeralStorage: { Size: 512 }, Architectures: ['x86_64'],
      Role: cfn.getAtt('FunctionRole', 'Arn'),
      Environment: { Variables: {
        MOPAR_STAGING_BUCKET: cfn.ref('StagingBucket'), MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: String(INLINE_LIMIT_BYTES),
      } },
      Description: `mopar ${manifest.model} slice ${fn.name} (group ${fn.group}, ${fn.vcpu} vCPU planned)`.slice(0, 256),
    };
    resources[id] = image
      ? { Type: 'AWS::Serverless::Function', Properties: { PackageType: 'Image', ...common },
        Metadata: { Dockerfile: 'Dockerfile', DockerContext: `./functions/${name}`, DockerTag: 'nodejs20.x-v1' } }
      : { Type: 'AWS::Serverless::Function', Properties: { CodeUri: `functions/${name}`, Handler: 'handler.handler', Runtime: runtimeId, ...common },
        Metadata: { BuildMethod: 'makefile' } };
    deployed.push({ function: fn.name, name, memoryMB: memory, vcpu: Math.min(6, memory / 1769), packaging: image ? 'image' : 'zip', packageBytes });
  }

  const arnVar = (fn: string) => `${ids.get(fn)}Arn`;
  // EXPRESS workflows run at most 5 minutes.
  const definition = buildStateMachine(manifest.model, stages, arnVar, (fn) => names.get(fn)!, Math.min(300, timeout * stages.length));
  mkdirSync(join(out, 'statemachine'), { recursive: true });
  const aslFile = join(out, 'statemachine', 'pipeline.asl.json');
  writeFileSync(aslFile, `${JSON.stringify(definition, null, 2)}\n`);
  files.push(aslFile);

  const arns = functions.flatMap((fn) => [cfn.getAtt(ids.get(fn.name)!, 'Arn'), cfn.sub(`\${${ids.get(fn.name)}.Arn}:*`)]);
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: `mopar: ${manifest.model} partitioned into ${functions.length} Lambda function(s) (${manifest.strategy ?? 'mopar'} plan for ${manifest.platform ?? 'aws-lambda'}). ${GENERATED}`,
    Parameters: {
      StagingBucketName: { Type: 'String', Description: 'S3 bucket (created) for tensors over the payload limits', AllowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      FunctionRoleName: { Type: 'String', Default: `${baseName}-functions`.slice(0, 64), Description: 'IAM role (created) the slice functions run as' },
      StateMachineRoleName: { Type: 'String', Default: `${baseName}-pipeline`.slice(0, 64), Description: 'IAM role (created) the state machine runs as' },
    },
    Resources: {
      StagingBucket: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          BucketName: cfn.ref('StagingBucketName'),
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          // Staged tensors are only needed while one request runs.
          LifecycleConfiguration: { Rules: [{ Id: 'expire-staged-tensors', Status: 'Enabled', Prefix: 'staging/', ExpirationInDays: 1 }] },
        },
      },
      FunctionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: cfn.ref('FunctionRoleName'),
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          ManagedPolicyArns: [cfn.sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
          Policies: [{ PolicyName: 'staged-tensors', PolicyDocument: { Version: '2012-10-17', Statement: [{
            Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: cfn.sub('arn:${AWS::Partition}:s3:::${StagingBucket}/staging/*'),
          }] } }],
        },
      },
      StateMachineRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: cfn.ref('StateMachineRoleName'),
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'invoke-slices', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arns }] } }],
        },
      },
      ...resources,
      Pipeline: {
        Type: 'AWS::Serverless::StateMachine',
        Properties: {
          // EXPRESS: synchronous StartSyncExecution for request/response inference (5-minute limit).
          Type: 'EXPRESS',
          DefinitionUri: 'statemachine/pipeline.asl.json',
          DefinitionSubstitutions: Object.fromEntries(functions.map((fn) => [arnVar(fn.name), cfn.getAtt(ids.get(fn.name)!, 'Arn')])),
          Role: cfn.getAtt('StateMachineRole', 'Arn'),
        },
      },
    },
    Outputs: {
      StateMachineArn: { Description: 'Start requests with: aws stepfunctions start-sync-execution', Value: cfn.ref('Pipeline') },
      StagingBucket: { Value: cfn.ref('StagingBucket') },
    },
  };
  const main = join(out, 'template.yaml');
  writeFileSync(main, `# ${GENERATED} Deploy: sam build && sam deploy --guided\n${stringifyCfnYaml(template)}`);
  files.push(main);
  const samconfig = join(out, 'samconfig.toml');
  writeFileSync(samconfig, `# ${GENERATED}\nversion = 0.1\n[default.deploy.parameters]\ncapabilities = "CAPABILITY_NAMED_IAM"\nresolve_s3 = true\nresolve_image_repos = true\nconfirm_changeset = true\n`);
  files.push(samconfig);
  return {
    target: 'lambda', out, main, files, functions: deployed, warnings,
    commands: [
      `cd ${out}`,
      'sam validate --lint',
      'sam build',
      'sam deploy --guided --parameter-overrides StagingBucketName=<globally unique bucket name>',
      'aws stepfunctions start-sync-execution --state-machine-arn <StateMachineArn output> --input file://request.json',
    ],
  };
}
