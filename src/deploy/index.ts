/**
 * deploy: turns a built directory (manifest.json + one ONNX file per function) into what a serverless
 * platform's own tools deploy — OpenFaaS (faas-cli), AWS Lambda (SAM + Step Functions), Knative (kubectl).
 * Every generated function runs the same function-host core as the embedded runtime (src/runtime).
 */
export * from './types.js';
export { readManifestForDeploy, stagesOf, dnsLabel, platformNames, type Stage, type DeployInput, type DeployFunction } from './manifest.js';
export { runtimeBundle, RUNTIME_FILE, type RuntimeKind } from './bundle.js';
export { parseCfnYaml, stringifyCfnYaml, cfn } from './cfn-yaml.js';
export { buildStateMachine, type AslDefinition } from './asl.js';
export { ZIP_LIMIT_BYTES, INLINE_LIMIT_BYTES } from './lambda.js';
export { ortLinuxBytes, leanInstall, contentTag } from './folder.js';
export * from './deploy.js';
export { readBatchingPlan, entryConcurrency, entryTarget, type DeployBatching, type DeployBatchGroup } from './batching.js';
export { localRun, type LocalRun, type LocalRunOptions } from './local-run/run.js';
export { INSTALL_MODES, type InstallMode } from './local-run/install.js';
