/** Options and result of `mopar deploy` (one adapter per target). */
/** The bundled runtime modules: slices and the entry/gateway. */
export interface Runtimes { function: string; gateway: string }

export const LAMBDA_RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];
export const DEFAULT_LAMBDA_RUNTIME: LambdaRuntime = 'nodejs22.x';

export type DeployTarget = 'openfaas' | 'lambda' | 'knative';
export const DEPLOY_TARGETS: readonly DeployTarget[] = ['openfaas', 'lambda', 'knative'];

export interface DeployOptions {
  target: DeployTarget;
  /** Prefix of every function/service name (default: the manifest's model name). */
  name?: string;
  /**
   * Container registry/namespace for images (default: env MOPAR_REGISTRY, else localhost:5000 for OpenFaaS and
   * Knative; Lambda: the ECR repository for image functions, else SAM creates them).
   */
  registry?: string;
  /** Replace a non-empty output folder that holds an earlier deploy (else a non-empty folder is an error). */
  force?: boolean;
  /** OpenFaaS gateway URL written into stack.yml. */
  gateway?: string;
  /** Kubernetes namespace (Knative; OpenFaaS functions namespace for in-cluster URLs). */
  namespace?: string;
  /** Function timeout in seconds. */
  timeoutS?: number;
  /** Scaling bounds. */
  minScale?: number;
  maxScale?: number;
  /** Lambda runtime (default nodejs22.x: Lambda stopped creating nodejs20.x functions on 2026-06-01). */
  lambdaRuntime?: LambdaRuntime;
  /** Lambda: package as a container image above this many unzipped bytes (default Lambda's 250 MB zip limit). */
  lambdaZipLimitBytes?: number;
  /** A plan from `mopar plan MODEL --apps … -o PLAN`: the entry batches requests per its groups (src/deploy/batching.ts). */
  batching?: string;
}

/** What the artifacts carry of a batching plan. */
export interface DeployedBatching {
  groups: { name: string; apps: string[]; maxBatch: number; timeoutMs: number; sloMs: number }[];
  /** Platform settings derived from the groups, by file: e.g. `knative.yaml: entry containerConcurrency 16`. */
  settings: string[];
}

export interface DeployedFunction {
  /** Manifest function name ('$entry' for the chaining function / gateway). */
  function: string;
  /** Name on the platform. */
  name: string;
  memoryMB: number;
  vcpu: number;
  /** Lambda: 'zip' or 'image'; containers elsewhere. */
  packaging: 'zip' | 'image' | 'container';
  /** Estimated unzipped package size (slice + runtime + onnxruntime-node for Linux x64). */
  packageBytes?: number;
}

export interface DeployResult {
  target: DeployTarget;
  out: string;
  /** The file the platform's CLI takes (stack.yml, template.yaml, knative.yaml). */
  main: string;
  files: string[];
  functions: DeployedFunction[];
  /** How to deploy it, in the platform's own commands. */
  commands: string[];
  warnings: string[];
  /** Present with --batching. */
  batching?: DeployedBatching;
}
