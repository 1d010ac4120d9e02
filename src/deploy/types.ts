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
  /**
   * Where a slice's weights come from: 'image' (default: baked into the package/image) or 's3' (fetched from an
   * object store at cold start: S3 on Lambda, the stack's bucket; elsewhere any S3-compatible store, see below).
   */
  weights?: WeightsSource;
  /** --weights s3 on OpenFaaS/Knative: the bucket (required there; Lambda uses the stack's bucket). */
  weightsBucket?: string;
  /** --weights s3: an S3-compatible endpoint (MinIO in the cluster, https://storage.googleapis.com, https://oss-REGION.aliyuncs.com). */
  weightsEndpoint?: string;
}

export type WeightsSource = 'image' | 's3';
export const WEIGHTS_SOURCES: readonly WeightsSource[] = ['image', 's3'];

/** Where the deployed slices read their weights (DeployResult.weights). */
export interface DeployedWeights {
  source: WeightsSource;
  /** The store in words (Amazon S3, Google Cloud Storage (S3-compatible API), …); absent for 'image'. */
  store?: string;
  bucket?: string;
  /** Key prefix of every slice's objects. */
  prefix?: string;
  /** Copies OUT/weights/ to the store (run after creating the bucket, before the first request). */
  upload?: string;
  /** Why, per function, where it matters (Lambda's zip limit). */
  notes: string[];
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
  /** Slices: where its weights come from. */
  weights?: WeightsSource;
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
  /** OpenFaaS and Knative: the minimum instances per function and why (deploy/scale.ts). */
  scaling?: { minScale: number; why: string };
  weights?: DeployedWeights;
}
