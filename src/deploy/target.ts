/**
 * A deploy target: what `deploy()` and the README need of one platform. Each target file (openfaas.ts, lambda.ts,
 * knative.ts) exports one; targets.ts is the registry, so a new platform is its own file plus a registry line.
 */
import type { DeployInput } from './manifest.js';
import type { DeployOptions, DeployResult, DeployTarget, Runtimes } from './types.js';

export interface Target {
  id: DeployTarget;
  /** Writes the target's artifacts into `out`; deploy() adds the README, scaling and the common warnings. */
  deploy(input: DeployInput, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult>;
  /**
   * Runs on a Kubernetes cluster: images go to a registry (a local one when none is given) and every function
   * keeps a minimum instance count (deploy/scale.ts). Lambda has neither (it always scales to zero).
   */
  cluster: boolean;
  /** --weights s3 reads from the stack's own bucket ('stack') or from the bucket of --weights-bucket ('flag'). */
  weightsBucket: 'stack' | 'flag';
  readme: {
    /** The entry serves `GET /metrics` (Prometheus). */
    metrics: boolean;
    /** Paragraphs after "## Requests": how a request and the tensors between functions travel here. */
    requests: string[];
    /** The same for a model of one function, which is its own endpoint (no entry, nothing between functions). */
    requestsAlone: string[];
    /** The "## Batching" section after its common head (groups, settings). */
    batching: string[];
    /** What holds a slice's weights with --weights image. */
    package: string;
    /** How the slices get at the store with --weights s3 (role, credentials, /tmp). */
    weightsAccess: string;
  };
}

/** The container targets' entry and slices speak KServe v2 to each other (OpenFaaS, Knative). */
export const HTTP_CHAIN_README = [
  'Between functions, tensors travel as KServe v2 binary requests: every slice function serves its part as',
  'model `<function name>` on the same routes.',
  '',
];

/**
 * Batching in a long-lived container entry (OpenFaaS, Knative): `limit` names the entry's concurrency setting,
 * `overflow` says what happens above it.
 */
export function containerBatchingReadme(limit: string, overflow: string): string[] {
  return [
    'The entry is a long-lived container, so it batches as `mopar serve --batching` does (the same batcher): requests',
    'of one group queue in the entry; a batch runs the chain once, one call per slice function with the batch\'s rows',
    'stacked along the leading dim; every request gets its own rows back (reply header `x-mopar-batch-size`). A request',
    'that names no application runs alone; an application no group lists is a 400. `/metrics` adds `mopar_batch_size`',
    '{group}, `mopar_app_request_duration_seconds` and `mopar_app_slo_misses_total` {app}.',
    '',
    'Limits:',
    '',
    '- Batches form per entry instance: with k instances each sees about 1/k of the requests and batches shrink. The',
    `  entry's ${limit} lets one instance hold a forming and a running batch of every group; the autoscaler adds an`,
    '  instance only at one full batch per group.',
    overflow,
    '- Slice functions run one batch at a time per instance, sized by the built directory: its memory must hold a full',
    '  batch (build from the group\'s plan to get its sizes; a warning below says where they differ).',
    '- The model must batch along its leading dim (built with a dynamic batch dim); outputs are split along it.',
    '',
  ];
}
