/**
 * AWS Lambda target: a SAM template.yaml with one function per slice (MemorySize from the plan: Lambda gives
 * CPU in proportion to memory), the Step Functions state machine chaining them, the S3 staging bucket for
 * tensors over the payload limits, and least-privilege roles. A slice ships as a zip while slice + runtime +
 * onnxruntime-node (Linux x64 binaries only) stay under Lambda's 250 MB unzipped limit, else as a container
 * image on the public Lambda Node.js base image of the same major. The model's endpoint is the entry function's
 * URL: the Open Inference Protocol, each request run by the state machine (inputs over its 256 KiB input limit are
 * staged in the bucket by the entry); a model of one function is that function, with the URL (folder.ts servesItself).
 * The bucket refuses requests that do not use TLS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deployedGroups, type DeployBatching } from './batching.js';
import { storeName, uploadCommand } from './weights.js';
import { LEAN_MALLOC_ENV, MoparError } from '../core/index.js';
import { STATE_INLINE_LIMIT_BYTES, getPlatform } from '../plan/index.js';
import { join } from 'node:path';
import type { DeployInput } from './manifest.js';
import { dnsLabel, platformNames } from './manifest.js';
import { DEFAULT_LAMBDA_RUNTIME, type DeployOptions, type DeployResult, type DeployedFunction, type Runtimes } from './types.js';
import {
  GENERATED, WEIGHTS_PREFIX, stageWeights, contentTag, sliceModelFiles, functionConfig, leanInstall, mallocEnvLines, ortLinuxBytes, packageBytes, packageJson, pipelineConfig,
  servesItself, writeEntryFolder, writeSliceFolder,
} from './folder.js';
import { RUNTIME_FILE } from './bundle.js';
import { buildStateMachine } from './asl.js';
import { cfn, stringifyCfnYaml } from './cfn-yaml.js';
import type { Target } from './target.js';

export const ZIP_LIMIT_BYTES = 250 * 1024 * 1024;
export const LAMBDA_MEMORY = { min: 128, max: 10240 };
/** Lambda's /tmp (EphemeralStorage) at most, MB. */
export const LAMBDA_EPHEMERAL_MAX_MB = 10240;
/** Step Functions carries at most 256 KiB of state: tensors inline below this, else staged (the figure is plan's). */
export const INLINE_LIMIT_BYTES = STATE_INLINE_LIMIT_BYTES;
/** Bytes of the generated files beside the slice file (handler, package.json, function.json): a margin. */
const SMALL_FILES_BYTES = 64 * 1024;

const HANDLER = `'use strict';
// ${GENERATED} One model slice as a Lambda function (invoked by the Step Functions state machine).
exports.handler = require('./mopar-runtime.js').lambdaFunction(__dirname);
`;
const MODEL_HANDLER = `'use strict';
// ${GENERATED} The model's endpoint (function URL, Open Inference Protocol): its one function, run in this process.
exports.handler = require('./mopar-runtime.js').lambdaModel(__dirname);
`;
const ENTRY_HANDLER = `'use strict';
// ${GENERATED} The model's endpoint (function URL, Open Inference Protocol): runs the state machine per request.
exports.handler = require('./mopar-runtime.js').lambdaEntry(__dirname);
`;
const BATCH_HANDLER = `'use strict';
// ${GENERATED} The batching front (SQS event source per application group): one state machine run per batch.
exports.handler = require('./mopar-runtime.js').lambdaBatchFront(__dirname);
`;
export const ENTRY_ID = 'Entry';
export const BATCH_FRONT_ID = 'BatchFront';
/** SQS event sources: batching window 0–300 s in whole seconds; a standard queue's batch over 10 needs a window ≥ 1 s. */
export const SQS_WINDOW_MAX_S = 300;

const logicalId = (fn: string, i: number) => `Fn${i}${fn.replace(/[^A-Za-z0-9]/g, '').replace(/^./, (c) => c.toUpperCase()).slice(0, 40)}`;

export async function deployLambda(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const { manifest, functions, stages } = input;
  const prefix = opts.name ?? manifest.model;
  const names = platformNames(prefix, functions, 64);
  const ids = new Map(functions.map((fn, i) => [fn.name, logicalId(fn.name, i)]));
  // One function: it is the model's endpoint (the entry's id, name and URL), with no state machine behind it.
  const itself = servesItself(input);
  const entryName = dnsLabel(prefix, 64);
  if (itself) { ids.set(functions[0]!.name, ENTRY_ID); names.set(functions[0]!.name, entryName); }
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
  const staging = { MOPAR_STAGING_BUCKET: cfn.ref('StagingBucket'), MOPAR_STAGING_PREFIX: 'staging/', MOPAR_INLINE_LIMIT_BYTES: String(INLINE_LIMIT_BYTES) };
  // --weights s3: slices fetch their weights at cold start from the stack's bucket, under weights/.
  const fetched = opts.weights === 's3';
  const weightNotes: string[] = [];

  for (const fn of functions) {
    const id = ids.get(fn.name)!;
    const name = names.get(fn.name)!;
    const dir = join(out, 'functions', name);
    const weightBytes = fn.fileBytes + (fn.data?.bytes ?? 0);
    const zipLimit = opts.lambdaZipLimitBytes ?? ZIP_LIMIT_BYTES;
    const overZip = weightBytes + runtimes.function.length + ortLinuxBytes() + SMALL_FILES_BYTES > zipLimit;
    // Weights over the zip limit come from an image (the default) or, with --weights s3, from the bucket.
    const image = overZip && !fetched;
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;
    if (overZip) {
      weightNotes.push(fetched
        ? `${fn.name}: ${mb(weightBytes)} of weights + runtime is over Lambda's ${mb(zipLimit)} zip limit; --weights s3 keeps it a zip that fetches its weights from S3 at cold start`
        : `${fn.name}: ${mb(weightBytes)} of weights + runtime is over Lambda's ${mb(zipLimit)} zip limit: packaged as a container image with its weights baked in (--weights s3 would keep it a zip and fetch them from S3 at cold start)`);
    }
    const staged = fetched ? stageWeights(out, name, fn) : undefined;
    // The fetched weights live in /tmp: room for them (and the download's temporary copy is renamed, not doubled).
    const ephemeralMB = staged ? Math.max(512, Math.ceil(staged.bytes * 1.1 / 2 ** 20) + 64) : 512;
    if (ephemeralMB > LAMBDA_EPHEMERAL_MAX_MB) throw new MoparError(`${fn.name}: ${mb(staged!.bytes)} of weights do not fit Lambda's ${LAMBDA_EPHEMERAL_MAX_MB} MB /tmp; use --weights image (a container image holds up to 10 GB)`);
    const memory = Math.min(LAMBDA_MEMORY.max, Math.max(LAMBDA_MEMORY.min, Math.ceil(fn.memoryMB)));
    // Lambda's CPU share follows memory (1 vCPU at 1,769 MB): a plan made for another platform may want more CPU.
    if (memory / 1769 < fn.vcpu * 0.9) warnings.push(`${fn.name}: ${memory} MB gives Lambda ≈${(memory / 1769).toFixed(2)} vCPU, the plan assumed ${fn.vcpu} (plan with --platform aws-lambda for Lambda-sized functions)`);
    if (memory !== Math.ceil(fn.memoryMB)) warnings.push(`${fn.name}: ${fn.memoryMB} MB is outside Lambda's ${LAMBDA_MEMORY.min}–${LAMBDA_MEMORY.max} MB; using ${memory} MB`);
    const copied = [...(staged ? [] : sliceModelFiles(fn)), 'function.json', RUNTIME_FILE, 'handler.js', 'package.json', ...(itself ? ['pipeline.json'] : [])];
    // onnxruntime-node without its GPU download and without the other platforms' binaries (they alone exceed 250 MB).
    const build: Record<string, string> = image
      ? { Dockerfile: `# ${GENERATED}\nFROM --platform=linux/amd64 ${baseImage}\nCOPY package.json \${LAMBDA_TASK_ROOT}/\nRUN cd \${LAMBDA_TASK_ROOT} && ${leanInstall('x64')}\nCOPY ${copied.filter((f) => f !== 'package.json').join(' ')} \${LAMBDA_TASK_ROOT}/\n${mallocEnvLines()}CMD ["handler.handler"]\n` }
      : { Makefile: makefile(id, copied, true) };
    const written = writeSliceFolder(dir, fn, runtimes.function, { ...functionConfig(fn, input, keep.get(fn.name)), ...(staged ? { weights: staged.weights } : {}) }, {
      'handler.js': itself ? MODEL_HANDLER : HANDLER, 'package.json': packageJson(name), ...build,
      ...(itself ? { 'pipeline.json': `${JSON.stringify(pipelineConfig(input, names), null, 2)}\n` } : {}),
    });
    files.push(...written, ...(staged?.files ?? []));
    const shipped = written.filter((f) => copied.some((c) => f.endsWith(`/${c}`)));
    const common = {
      MemorySize: memory, Timeout: timeout, EphemeralStorage: { Size: ephemeralMB }, Architectures: ['x86_64'],
      Role: cfn.getAtt('FunctionRole', 'Arn'),
      // A slice runs with the local hosts' glibc malloc (core/malloc.ts); the hugetlb tunable is a no-op where THP is off.
      Environment: { Variables: { ...LEAN_MALLOC_ENV, ...staging, ...(staged ? { MOPAR_WEIGHTS_BUCKET: cfn.ref('StagingBucket') } : {}) } },
      Description: (itself ? `mopar ${manifest.model}: the Open Inference Protocol endpoint, the model run in this function (${fn.vcpu} vCPU planned)`
        : `mopar ${manifest.model} slice ${fn.name} (group ${fn.group}, ${fn.vcpu} vCPU planned)`).slice(0, 256),
      ...(itself ? { FunctionUrlConfig: { AuthType: cfn.ref('EntryAuthType') } } : {}),
    };
    resources[id] = image
      ? { Type: 'AWS::Serverless::Function', Properties: { PackageType: 'Image', ...common },
        Metadata: { Dockerfile: 'Dockerfile', DockerContext: `./functions/${name}`, DockerTag: contentTag(written) } }
      : { Type: 'AWS::Serverless::Function', Properties: { CodeUri: `functions/${name}`, Handler: 'handler.handler', Runtime: runtimeId, ...common },
        Metadata: { BuildMethod: 'makefile' } };
    deployed.push({ function: fn.name, name, memoryMB: memory, vcpu: Math.min(6, memory / 1769), packaging: image ? 'image' : 'zip', packageBytes: packageBytes(shipped, true), weights: fetched ? 's3' : 'image' });
  }

  const b = input.batching;
  const entryTimeout = Math.min(900, Math.min(300, timeout * stages.length) + 10);
  const front = b ? batchFront(b, entryName, runtimeId, entryTimeout, staging, warnings) : undefined;
  const arnVar = (fn: string) => `${ids.get(fn)}Arn`;
  if (!itself) {
    // The entry: no model, no onnxruntime; a zip of its four files; of the platform record's size (the planner's).
    const entrySize = getPlatform('aws-lambda').orchestration.entry;
    const entryDir = join(out, 'functions', entryName);
    const entryCopied = ['pipeline.json', RUNTIME_FILE, 'handler.js', 'package.json', ...(b ? ['batch-handler.js'] : [])];
    const entryWritten = writeEntryFolder(entryDir, pipelineConfig(input, names), runtimes.gateway, {
      'handler.js': ENTRY_HANDLER, 'package.json': packageJson(entryName, {}, false),
      ...(b ? { 'batch-handler.js': BATCH_HANDLER } : {}),
      Makefile: makefile(ENTRY_ID, entryCopied, false) + (b ? makefile(BATCH_FRONT_ID, entryCopied, false).replace(/^# .*\n/, '') : ''),
    });
    files.push(...entryWritten);
    resources[ENTRY_ID] = {
      Type: 'AWS::Serverless::Function',
      Properties: {
        CodeUri: `functions/${entryName}`, Handler: 'handler.handler', Runtime: runtimeId, MemorySize: entrySize.memoryMB, Timeout: entryTimeout,
        Architectures: ['x86_64'], Role: cfn.getAtt('EntryRole', 'Arn'),
        FunctionUrlConfig: { AuthType: cfn.ref('EntryAuthType') },
        Environment: { Variables: { ...staging, MOPAR_STATE_MACHINE_ARN: cfn.ref('Pipeline'), ...(b ? Object.fromEntries(b.groups.map((_, i) => [`MOPAR_BATCH_QUEUE_${i}`, cfn.ref(`BatchQueue${i}`)])) : {}) } },
        Description: `mopar ${manifest.model}: the Open Inference Protocol endpoint (runs the state machine)`.slice(0, 256),
      },
      Metadata: { BuildMethod: 'makefile' },
    };
    if (front) Object.assign(resources, front.resources);
    deployed.push({ function: '$entry', name: entryName, memoryMB: entrySize.memoryMB, vcpu: entrySize.vcpu, packaging: 'zip', packageBytes: packageBytes(entryWritten.filter((f) => entryCopied.some((c) => f.endsWith(`/${c}`))), false) });

    // EXPRESS workflows run at most 5 minutes.
    const definition = buildStateMachine(manifest.model, stages, arnVar, (fn) => names.get(fn)!, Math.min(300, timeout * stages.length));
    mkdirSync(join(out, 'statemachine'), { recursive: true });
    const aslFile = join(out, 'statemachine', 'pipeline.asl.json');
    writeFileSync(aslFile, `${JSON.stringify(definition, null, 2)}\n`);
    files.push(aslFile);
  }

  const arns = functions.flatMap((fn) => [cfn.getAtt(ids.get(fn.name)!, 'Arn'), cfn.sub(`\${${ids.get(fn.name)}.Arn}:*`)]);
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: `mopar: ${manifest.model} partitioned into ${functions.length} Lambda function(s) (${manifest.strategy ?? 'mopar'} plan for ${manifest.platform ?? 'aws-lambda'}). ${GENERATED}`,
    Parameters: {
      StagingBucketName: { Type: 'String', Description: 'S3 bucket (created) for tensors over the payload limits', AllowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      FunctionRoleName: { Type: 'String', Default: `${baseName}-functions`.slice(0, 64), Description: 'IAM role (created) the slice functions run as' },
      ...(itself ? {} : {
        StateMachineRoleName: { Type: 'String', Default: `${baseName}-pipeline`.slice(0, 64), Description: 'IAM role (created) the state machine runs as' },
        EntryRoleName: { Type: 'String', Default: `${baseName}-entry`.slice(0, 64), Description: 'IAM role (created) the entry function runs as' },
      }),
      ...(front ? { BatchFrontRoleName: { Type: 'String', Default: `${baseName}-batch-front`.slice(0, 64), Description: 'IAM role (created) the batching front function runs as' } } : {}),
      EntryAuthType: {
        Type: 'String', Default: 'AWS_IAM', AllowedValues: ['AWS_IAM', 'NONE'],
        Description: 'Who may call the entry function URL: AWS_IAM (SigV4-signed requests) or NONE (public)',
      },
    },
    Resources: {
      StagingBucket: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          BucketName: cfn.ref('StagingBucketName'),
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          // Staged tensors are only needed while one request runs.
          LifecycleConfiguration: { Rules: [
            { Id: 'expire-staged-tensors', Status: 'Enabled', Prefix: 'staging/', ExpirationInDays: 1 },
            ...(front ? [{ Id: 'expire-batched-results', Status: 'Enabled', Prefix: 'results/', ExpirationInDays: 1 }] : []),
          ] },
        },
      },
      StagingBucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: cfn.ref('StagingBucket'),
          PolicyDocument: { Version: '2012-10-17', Statement: [{
            Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*',
            Resource: [cfn.getAtt('StagingBucket', 'Arn'), cfn.sub('${StagingBucket.Arn}/*')],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }] },
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
          }, ...(fetched ? [{ Effect: 'Allow', Action: 's3:GetObject', Resource: cfn.sub(`arn:\${AWS::Partition}:s3:::\${StagingBucket}/${WEIGHTS_PREFIX}*`) }] : [])] } }],
        },
      },
      ...(itself ? {} : { EntryRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: cfn.ref('EntryRoleName'),
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          ManagedPolicyArns: [cfn.sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
          Policies: [{ PolicyName: 'run-pipeline', PolicyDocument: { Version: '2012-10-17', Statement: [
            { Effect: 'Allow', Action: 'states:StartSyncExecution', Resource: cfn.ref('Pipeline') },
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: cfn.sub('arn:${AWS::Partition}:s3:::${StagingBucket}/staging/*') },
            ...(front ? [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: cfn.sub('arn:${AWS::Partition}:s3:::${StagingBucket}/results/*') },
              { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: front.queueArns },
            ] : []),
          ] } }],
        },
      } }),
      ...(front ? { BatchFrontRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: cfn.ref('BatchFrontRoleName'),
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          ManagedPolicyArns: [cfn.sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
          Policies: [{ PolicyName: 'batch-front', PolicyDocument: { Version: '2012-10-17', Statement: [
            { Effect: 'Allow', Action: 'states:StartSyncExecution', Resource: cfn.ref('Pipeline') },
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [cfn.sub('arn:${AWS::Partition}:s3:::${StagingBucket}/staging/*'), cfn.sub('arn:${AWS::Partition}:s3:::${StagingBucket}/results/*')] },
            { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], Resource: front.queueArns },
          ] } }],
        },
      } } : {}),
      ...(itself ? {} : { StateMachineRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: cfn.ref('StateMachineRoleName'),
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'invoke-slices', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arns }] } }],
        },
      } }),
      ...resources,
      ...(itself ? {} : { Pipeline: {
        Type: 'AWS::Serverless::StateMachine',
        Properties: {
          // EXPRESS: synchronous StartSyncExecution for request/response inference (5-minute limit).
          Type: 'EXPRESS',
          DefinitionUri: 'statemachine/pipeline.asl.json',
          DefinitionSubstitutions: Object.fromEntries(functions.map((fn) => [arnVar(fn.name), cfn.getAtt(ids.get(fn.name)!, 'Arn')])),
          Role: cfn.getAtt('StateMachineRole', 'Arn'),
        },
      } }),
    },
    Outputs: {
      EntryUrl: { Description: 'The model endpoint (Open Inference Protocol)', Value: cfn.getAtt(`${ENTRY_ID}Url`, 'FunctionUrl') },
      ...(itself ? {} : { StateMachineArn: { Description: 'The state machine the entry runs per request', Value: cfn.ref('Pipeline') } }),
      StagingBucket: { Value: cfn.ref('StagingBucket') },
    },
  };
  const main = join(out, 'template.yaml');
  writeFileSync(main, `# ${GENERATED} Deploy: sam build && sam deploy --guided\n${stringifyCfnYaml(template)}`);
  files.push(main);
  const samconfig = join(out, 'samconfig.toml');
  // Image functions go to the registry given (--registry / MOPAR_REGISTRY: an ECR repository URI), else to
  // repositories SAM creates.
  const repos = opts.registry ? `image_repository = ${JSON.stringify(opts.registry)}` : 'resolve_image_repos = true';
  writeFileSync(samconfig, `# ${GENERATED}\nversion = 0.1\n[default.deploy.parameters]\nstack_name = ${JSON.stringify(baseName)}\ncapabilities = "CAPABILITY_NAMED_IAM"\nresolve_s3 = true\n${repos}\nconfirm_changeset = true\n`);
  files.push(samconfig);
  if (front) deployed.push({ function: '$batch-front', name: `${entryName}-batch-front`.slice(0, 64), memoryMB: 512, vcpu: 512 / 1769, packaging: 'zip' });
  warnings.push(...weightNotes.filter(() => !fetched));
  return {
    target: 'lambda', out, main, files, functions: deployed, warnings,
    weights: fetched
      ? { source: 's3', store: storeName(), bucket: 'the stack\'s bucket (StagingBucketName)', prefix: WEIGHTS_PREFIX, upload: uploadCommand('<globally unique bucket name>'), notes: weightNotes }
      : { source: 'image', notes: weightNotes },
    ...(b && front ? { batching: { groups: deployedGroups(b), settings: front.settings } } : {}),
    commands: [
      `cd ${out}`,
      'sam validate --lint',
      'sam build',
      'sam deploy --guided --parameter-overrides StagingBucketName=<globally unique bucket name>',
      ...(fetched ? [uploadCommand('<globally unique bucket name>')] : []),
      `ENTRY_URL=$(aws cloudformation describe-stacks --stack-name ${baseName} --query "Stacks[0].Outputs[?OutputKey=='EntryUrl'].OutputValue" --output text)`,
      `curl --fail-with-body --aws-sigv4 "aws:amz:$AWS_REGION:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-security-token: $AWS_SESSION_TOKEN" -H 'content-type: application/json' --data-binary @request.json "\${ENTRY_URL%/}/v2/models/${manifest.model}/infer"`,
    ],
  };
}

/** SAM's makefile build (BuildMethod: makefile): copy the folder's files, then the lean onnxruntime install. */
function makefile(id: string, copied: string[], ort: boolean): string {
  return `# ${GENERATED} Used by \`sam build\` (BuildMethod: makefile).\nbuild-${id}:\n\tcp ${copied.join(' ')} $(ARTIFACTS_DIR)/\n${ort ? `\tcd $(ARTIFACTS_DIR) && ${leanInstall('x64')}\n` : ''}`;
}

/**
 * Lambda's batching front. A Lambda instance serves one request at a time, so no entry instance can hold
 * concurrent requests while a batch forms: an SQS queue per group holds them, and Lambda's SQS poller delivers up
 * to BatchSize (= the group's maxBatch) messages after at most MaximumBatchingWindowInSeconds (the plan's timeout,
 * rounded down to whole seconds: never longer than planned) to the front function, which runs the state machine
 * once per batch. Answers are asynchronous: the entry answers 202 with where the result will be stored.
 */
function batchFront(b: DeployBatching, entryName: string, runtimeId: string, timeout: number, staging: Record<string, unknown>, warnings: string[]) {
  const resources: Record<string, unknown> = {};
  const events: Record<string, unknown> = {};
  const settings: string[] = [];
  b.groups.forEach((g, i) => {
    let window = Math.min(SQS_WINDOW_MAX_S, Math.floor(g.timeoutMs / 1000));
    if (g.timeoutMs < 1000) warnings.push(`batching group ${g.name}: its ${Math.round(g.timeoutMs)} ms timeout is under SQS's 1 s batching-window step; a batch holds only what is queued when the poller reads (batching window 0 s)`);
    if (g.maxBatch > 10 && window < 1) {
      window = 1;
      warnings.push(`batching group ${g.name}: a standard SQS queue delivers more than 10 messages only with a batching window ≥ 1 s; using 1 s, more than the plan's ${Math.round(g.timeoutMs)} ms`);
    }
    if (window * 1000 >= g.sloMs) warnings.push(`batching group ${g.name}: a ${window} s batching window leaves nothing of its ${g.sloMs} ms SLO`);
    resources[`BatchQueue${i}`] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        // AWS: at least 6 × the consumer's timeout, so a message is not delivered twice while its batch runs.
        VisibilityTimeout: Math.min(43_200, 6 * timeout), MessageRetentionPeriod: 3600, SqsManagedSseEnabled: true,
      },
    };
    events[`Group${i}`] = { Type: 'SQS', Properties: { Queue: cfn.getAtt(`BatchQueue${i}`, 'Arn'), BatchSize: g.maxBatch, MaximumBatchingWindowInSeconds: window } };
    settings.push(`template.yaml: BatchQueue${i} (SQS) for group ${g.name}; ${BATCH_FRONT_ID} event Group${i}: BatchSize ${g.maxBatch}, MaximumBatchingWindowInSeconds ${window} (plan: ${Math.round(g.timeoutMs)} ms)`);
  });
  resources[BATCH_FRONT_ID] = {
    Type: 'AWS::Serverless::Function',
    Properties: {
      CodeUri: `functions/${entryName}`, Handler: 'batch-handler.handler', Runtime: runtimeId, MemorySize: 512, Timeout: timeout,
      Architectures: ['x86_64'], Role: cfn.getAtt('BatchFrontRole', 'Arn'),
      Environment: { Variables: { ...staging, MOPAR_STATE_MACHINE_ARN: cfn.ref('Pipeline') } },
      Events: events,
      Description: 'mopar batching front: one state machine run per batch of queued requests'.slice(0, 256),
    },
    Metadata: { BuildMethod: 'makefile' },
  };
  settings.push(`functions/${entryName}/pipeline.json: batching groups (the entry queues a request of group i in MOPAR_BATCH_QUEUE_i)`);
  return { resources, settings, queueArns: b.groups.map((_, i) => cfn.getAtt(`BatchQueue${i}`, 'Arn')) };
}

export const lambda: Target = {
  id: 'lambda', deploy: deployLambda, cluster: false, weightsBucket: 'stack',
  readme: {
    metrics: false,
    requests: [
      'The entry is a Lambda function URL (`EntryUrl` output; `EntryAuthType` AWS_IAM by default, so requests are',
      'SigV4-signed as above; with `EntryAuthType=NONE` it is public and `mopar invoke <EntryUrl> --model ...` works).',
      'A function URL takes at most 6 MB per request. The entry runs the state machine once per request; inputs',
      'that would pass the 256 KiB Step Functions input limit are staged in the bucket under `staging/` first, and',
      `so are tensors between the functions over ${INLINE_LIMIT_BYTES / 1000} kB (objects expire after a day; the bucket refuses plain HTTP).`,
      '',
    ],
    requestsAlone: ['The model\'s one function is its own endpoint: a Lambda function URL (`EntryUrl` output; `EntryAuthType` AWS_IAM by default, so requests are SigV4-signed as above;',
      'with `EntryAuthType=NONE` it is public and `mopar invoke <EntryUrl> --model ...` works) that runs the model in the function, no state machine. A function URL takes at most 6 MB per request and per response.', ''],
    batching: [
      'A Lambda instance serves one request at a time, so no entry instance can hold requests while a batch forms.',
      'What holds them here is an SQS queue per group: the entry puts a request that names a batched application in',
      'its group\'s queue and answers `202 {"id", "status": "queued", "result": "/v2/models/MODEL/results/ID"}`; Lambda\'s',
      'SQS poller hands the `BatchFront` function up to the group\'s maxBatch messages, after at most the batching',
      'window; `BatchFront` runs the state machine once for the whole batch (one invocation per slice function, one',
      'Express execution) and stores each request\'s answer in the bucket under `results/ID`. Then',
      '`GET <EntryUrl>/v2/models/MODEL/results/ID` answers the infer response (202 `{"status": "pending"}` until',
      'then). A request that names no application runs synchronously through the state machine, as before.',
      '',
      'Limits (the trade-off of this design):',
      '',
      '- Answers are asynchronous: the client polls (each poll is an entry invocation and an S3 GET).',
      '- The batching window is whole seconds (0–300): a plan timeout under 1 s becomes 0 s, and a batch then holds',
      '  only the messages already queued when the poller reads. The poller itself adds tens to hundreds of ms. For',
      '  SLOs under a few seconds, a long-lived container front (the Knative or OpenFaaS entry of `mopar deploy',
      '  --batching`, e.g. on Cloud Run) in front of these functions batches better; it is not generated here.',
      '- An SQS message holds 256 KiB: larger inputs are staged in the bucket under `staging/` (expire after a day,',
      '  as do `results/`).',
      '- The slice functions\' memory must hold a full batch (see the warnings).',
      '',
    ],
    package: 'package (zip or container image)',
    weightsAccess: 'The slices read with their role (s3:GetObject on weights/*); /tmp (EphemeralStorage) is sized to their weights.',
  },
};
