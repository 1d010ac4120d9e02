/**
 * The Lambda entry function (behind a function URL): serves the model over the Open Inference Protocol and runs
 * the Step Functions state machine synchronously for each infer request. Request inputs whose JSON state would
 * pass Step Functions' 256 KiB input limit are staged in the S3 bucket first and passed as references, exactly
 * as the slices pass their large outputs; references in the state machine's result are read back. (A function
 * URL itself takes at most 6 MB per request and per response: the platform's own limit.)
 */
import { randomUUID } from 'node:crypto';
import type { Feeds } from '../../graph/index.js';
import { errorMessage } from '../../core/index.js';
import { readPipeline, pipelineModel } from './chain-entry.js';
import { s3Store, type ObjectStore } from '../../runtime/lean.js';
import { encodeJsonTensor, tensorBytesView, tensorFromBytes, decodeJsonTensor, type WireMessage, type WireTensor } from './wire.js';
import { UpstreamError, v2Handler } from './v2.js';

/** What StartSyncExecution answers (the fields used here). */
export interface SyncExecution { status: string; output?: string; error?: string; cause?: string }
export type StartSyncExecution = (stateMachineArn: string, input: string) => Promise<SyncExecution>;

export interface LambdaEntryOptions {
  store?: ObjectStore;
  startSyncExecution?: StartSyncExecution;
  env?: Record<string, string | undefined>;
}

/** A Lambda function URL event (payload format 2.0) and response. */
export interface FunctionUrlEvent {
  rawPath?: string; rawQueryString?: string; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string }; requestId?: string };
}
export interface FunctionUrlResult { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean }

function sfnStart(): StartSyncExecution {
  let client: Promise<{ send(cmd: unknown): Promise<any>; mod: any }> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sdk = '@aws-sdk/client-sfn'; // provided by the Lambda Node.js runtime; a variable keeps bundlers off it
  return async (stateMachineArn, input) => {
    const { send, mod } = await (client ??= import(sdk).then((m) => {
      const c = new m.SFNClient({});
      return { send: (cmd: unknown) => c.send(cmd), mod: m };
    }));
    return await send(new mod.StartSyncExecutionCommand({ stateMachineArn, input })) as SyncExecution;
  };
}

const DEFAULT_INLINE_LIMIT = 200_000;
/** A function URL's synchronous response limit (6 MB), less room for the headers. */
const RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 - 16 * 1024;

export function lambdaEntry(dir: string, opts: LambdaEntryOptions = {}) {
  const p = readPipeline(dir);
  const env = opts.env ?? process.env;
  let store = opts.store;
  const getStore = () => (store ??= s3Store());
  const start = opts.startSyncExecution ?? sfnStart();

  async function run(feeds: Feeds): Promise<Feeds> {
    const requestId = randomUUID();
    const limit = Number(env.MOPAR_INLINE_LIMIT_BYTES ?? DEFAULT_INLINE_LIMIT);
    const bucket = env.MOPAR_STAGING_BUCKET;
    const prefix = env.MOPAR_STAGING_PREFIX ?? 'staging/';
    const arn = env.MOPAR_STATE_MACHINE_ARN;
    if (!arn) throw new Error('MOPAR_STATE_MACHINE_ARN is not set');
    const tensors: Record<string, WireTensor> = {};
    let size = 16;
    // Smallest first: as many inputs inline as fit under the state limit; the others go to the bucket.
    const names = Object.keys(feeds).sort((a, b) => tensorBytesView(feeds[a]!).byteLength - tensorBytesView(feeds[b]!).byteLength);
    for (const name of names) {
      const inline = encodeJsonTensor(feeds[name]!);
      const add = JSON.stringify(inline).length + name.length + 8;
      if (size + add <= limit) {
        tensors[name] = inline;
        size += add;
        continue;
      }
      if (!bucket) throw new Error(`input '${name}' exceeds the ${limit}-byte inline limit and MOPAR_STAGING_BUCKET is not set`);
      const key = `${prefix}${requestId}/input/${encodeURIComponent(name)}`;
      await getStore().put(bucket, key, tensorBytesView(feeds[name]!));
      tensors[name] = { dtype: feeds[name]!.dtype, shape: [...feeds[name]!.dims], s3: { bucket, key } };
      size += JSON.stringify(tensors[name]).length + name.length + 8;
    }
    const ex = await start(arn, JSON.stringify({ tensors } satisfies WireMessage));
    if (ex.status !== 'SUCCEEDED') throw new UpstreamError(`the state machine ended ${ex.status}: ${ex.error ?? ''} ${ex.cause ?? ''}`.trim());
    let result: WireMessage;
    try {
      result = JSON.parse(ex.output ?? '') as WireMessage;
    } catch (err) {
      throw new UpstreamError(`the state machine's output is not JSON: ${errorMessage(err)}`);
    }
    const out: Feeds = {};
    for (const name of p.outputs) {
      const w = result?.tensors?.[name];
      if (!w) throw new UpstreamError(`the state machine's output has no '${name}'`);
      out[name] = w.s3 ? tensorFromBytes(name, w.dtype, w.shape, await getStore().get(w.s3.bucket, w.s3.key)) : decodeJsonTensor(name, w);
    }
    return out;
  }

  // No /metrics: counters of one short-lived Lambda instance say little (CloudWatch has the platform's).
  const v2 = v2Handler(pipelineModel(p, run));
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const request = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const r = await v2({ method: event.requestContext?.http?.method ?? 'GET', path: event.rawPath ?? '/', headers, body: request });
    const binary = !/json/.test(r.headers['content-type'] ?? '');
    const body = r.body.toString(binary ? 'base64' : 'utf8');
    // Lambda would drop a larger response with an opaque error: say what happened instead.
    if (Buffer.byteLength(body) > RESPONSE_LIMIT_BYTES) {
      return { statusCode: 502, headers: { 'content-type': 'application/json' }, isBase64Encoded: false,
        body: JSON.stringify({ error: `the answer (${Buffer.byteLength(body)} bytes) is over a function URL's 6 MB response limit; ask for fewer outputs ('outputs' in the request)` }) };
    }
    return { statusCode: r.status, headers: r.headers, body, isBase64Encoded: binary };
  };
}
