/**
 * `mopar deploy --weights image|s3`: whether a slice's weights are baked into its package/image (the default) or
 * fetched at cold start from an object store, through the one object-store module the embedded runtime uses
 * (src/runtime/object-store.ts, AWS SDK v3; any S3-compatible store by endpoint). This file says which store,
 * what the functions' environment carries, and how the weights get there.
 */
import { MoparError } from '../core/index.js';
import { WEIGHTS_PREFIX } from './folder.js';
import type { DeployOptions } from './types.js';
import type { Target } from './target.js';

/** OpenFaaS secrets (files under /var/openfaas/secrets/) holding the store's credentials, read by the slices. */
export const OPENFAAS_WEIGHTS_SECRETS = ['mopar-weights-access-key-id', 'mopar-weights-secret-access-key'];
/** Knative: the Kubernetes Secret whose keys become the slices' environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */
export const KNATIVE_WEIGHTS_SECRET = 'mopar-weights';

export function checkWeightsOptions(target: Target, opts: DeployOptions): void {
  const source = opts.weights ?? 'image';
  if (source !== 'image' && source !== 's3') throw new MoparError(`unknown --weights '${String(source)}' (choose image or s3)`);
  if (source === 'image' && (opts.weightsBucket || opts.weightsEndpoint)) throw new MoparError('--weights-bucket and --weights-endpoint go with --weights s3');
  if (source === 's3' && target.weightsBucket === 'flag' && !opts.weightsBucket) {
    throw new MoparError(`--weights s3 on ${target.id} needs --weights-bucket NAME (the bucket of your S3-compatible store; --weights-endpoint URL for one that is not Amazon S3)`);
  }
  if (source === 's3' && target.weightsBucket === 'stack' && (opts.weightsBucket || opts.weightsEndpoint)) {
    throw new MoparError(`--weights s3 on ${target.id} reads the weights from the stack's own bucket (StagingBucketName, under weights/): --weights-bucket and --weights-endpoint do not apply`);
  }
  if (opts.weightsEndpoint && !/^https?:\/\/[^\s/]+/.test(opts.weightsEndpoint)) throw new MoparError(`--weights-endpoint must be an http(s) URL, got '${opts.weightsEndpoint}'`);
}

/** The store in words, from its endpoint. */
export function storeName(endpoint?: string): string {
  if (!endpoint) return 'Amazon S3';
  const host = new URL(endpoint).host;
  if (/(^|\.)storage\.googleapis\.com$/.test(host)) return `Google Cloud Storage through its S3-compatible XML API (${host}; HMAC keys)`;
  if (/aliyuncs\.com$/.test(host)) return `Alibaba Cloud OSS through its S3-compatible API (${host})`;
  return `the S3-compatible store at ${endpoint} (e.g. MinIO in the cluster)`;
}

/** The command that copies OUT/weights/ to the store. */
export function uploadCommand(bucket: string, endpoint?: string): string {
  return `aws s3 sync weights/ s3://${bucket}/${WEIGHTS_PREFIX}${endpoint ? ` --endpoint-url ${endpoint}` : ''}`;
}

/** The slices' environment for --weights s3 on OpenFaaS/Knative. */
export function weightsEnv(opts: DeployOptions): Record<string, string> {
  return { MOPAR_WEIGHTS_BUCKET: opts.weightsBucket!, ...(opts.weightsEndpoint ? { MOPAR_S3_ENDPOINT: opts.weightsEndpoint } : {}) };
}
