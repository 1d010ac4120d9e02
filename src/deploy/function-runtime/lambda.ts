/**
 * The AWS Lambda handler of one slice, invoked by a Step Functions Task (`arn:aws:states:::lambda:invoke`).
 * Event: `{tensors: {name: WireTensor}}`, or an array of those (the output of a Parallel state). Result: the
 * tensors listed in function.json `keep` passed through untouched, plus this slice's outputs — inline (base64)
 * while the result stays under MOPAR_INLINE_LIMIT_BYTES, else staged in the S3 bucket MOPAR_STAGING_BUCKET and
 * replaced by a reference. (Step Functions caps state at 256 KiB and synchronous Lambda payloads at 6 MB, so the
 * template sets the limit below both.)
 */
import type { Feeds } from '../../graph/index.js';
import { loadHost } from './host.js';
import { s3Store, type ObjectStore } from '../../runtime/lean.js';
import { WireError, decodeJsonTensor, packTensors, tensorFromBytes, type WireMessage, type WireTensor } from './wire.js';

export interface LambdaContext { awsRequestId?: string; functionName?: string }
export interface LambdaOptions {
  store?: ObjectStore;
  env?: Record<string, string | undefined>;
}

const DEFAULT_INLINE_LIMIT = 200 * 1024;

function mergeEvent(event: unknown): Record<string, WireTensor> {
  const parts = Array.isArray(event) ? event : [event];
  const out: Record<string, WireTensor> = {};
  for (const p of parts) {
    const msg = p as Partial<WireMessage> | null;
    if (!msg || typeof msg !== 'object' || !msg.tensors || typeof msg.tensors !== 'object') {
      throw new WireError('Lambda event needs {"tensors": {...}} (or an array of those from a Parallel state)');
    }
    Object.assign(out, msg.tensors);
  }
  return out;
}

export function lambdaFunction(dir: string, opts: LambdaOptions = {}) {
  const host = loadHost(dir);
  const env = opts.env ?? process.env;
  let store = opts.store;
  const getStore = () => (store ??= s3Store());

  return async (event: unknown, context: LambdaContext = {}): Promise<WireMessage> => {
    const limit = Number(env.MOPAR_INLINE_LIMIT_BYTES ?? DEFAULT_INLINE_LIMIT);
    const bucket = env.MOPAR_STAGING_BUCKET;
    const prefix = env.MOPAR_STAGING_PREFIX ?? 'staging/';
    const wire = mergeEvent(event);
    const feeds: Feeds = {};
    await Promise.all(host.config.inputs.map(async (name) => {
      const w = wire[name];
      if (!w) throw new WireError(`function '${host.config.name}' needs input tensor '${name}'`);
      feeds[name] = w.s3
        ? tensorFromBytes(name, w.dtype, w.shape, await getStore().get(w.s3.bucket, w.s3.key))
        : decodeJsonTensor(name, w);
    }));
    const out = await host.invoke(feeds);

    const result: Record<string, WireTensor> = {};
    const keep = host.config.keep ?? Object.keys(wire);
    for (const name of keep) if (wire[name] && !out[name]) result[name] = wire[name]!;
    await packTensors(out, limit, JSON.stringify(result).length, (name) => {
      if (!bucket) throw new Error(`output '${name}' exceeds the ${limit}-byte inline limit and MOPAR_STAGING_BUCKET is not set`);
      return { bucket, key: `${prefix}${context.awsRequestId ?? `local-${Date.now()}`}/${encodeURIComponent(name)}` };
    }, getStore, result);
    return { tensors: result };
  };
}
