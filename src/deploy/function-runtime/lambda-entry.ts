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
import { pipelineConstants } from './orchestrate.js';
import { s3Store, type ObjectStore } from '../../runtime/lean.js';
import { packTensors, tensorFromBytes, decodeJsonTensor, type WireMessage, type WireTensor } from './wire.js';
import { UpstreamError, v2Handler } from './v2.js';
import { tensorMetas } from './meta.js';
import type { PipelineConfig } from './config.js';
import { HttpError, checkMaxBatch, checkShapeRanges, concatFeeds, inferResponse, parseInferRequest, splitFeeds } from '../../runtime/index.js';
import { CodecError } from '../../codec/index.js';

/** What StartSyncExecution answers (the fields used here). */
export interface SyncExecution { status: string; output?: string; error?: string; cause?: string }
export type StartSyncExecution = (stateMachineArn: string, input: string) => Promise<SyncExecution>;

/** Sends one message to an SQS queue (the batching front's queue of a group). */
export type SendMessage = (queueUrl: string, body: string) => Promise<void>;

export interface LambdaEntryOptions {
  store?: ObjectStore;
  startSyncExecution?: StartSyncExecution;
  sendMessage?: SendMessage;
  env?: Record<string, string | undefined>;
  /** Runs the model in this function instead of through the state machine (a model of one function). */
  run?: (feeds: Feeds) => Promise<Feeds>;
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
      // StartSyncExecution goes to the `sync-` host prefix of the regional endpoint; an endpoint set in the
      // environment (AWS_ENDPOINT_URL_SFN: Step Functions Local, `mopar local-run`) is used as it is.
      const c = new m.SFNClient(process.env.AWS_ENDPOINT_URL_SFN ? { disableHostPrefix: true } : {});
      return { send: (cmd: unknown) => c.send(cmd), mod: m };
    }));
    return await send(new mod.StartSyncExecutionCommand({ stateMachineArn, input })) as SyncExecution;
  };
}

function sqsSend(): SendMessage {
  let client: Promise<{ send(cmd: unknown): Promise<any>; mod: any }> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sdk = '@aws-sdk/client-sqs'; // provided by the Lambda Node.js runtime; a variable keeps bundlers off it
  return async (QueueUrl, MessageBody) => {
    const { send, mod } = await (client ??= import(sdk).then((m) => {
      const c = new m.SQSClient({});
      return { send: (cmd: unknown) => c.send(cmd), mod: m };
    }));
    await send(new mod.SendMessageCommand({ QueueUrl, MessageBody }));
  };
}

const DEFAULT_INLINE_LIMIT = 200_000;
/** A function URL's synchronous response limit (6 MB), less room for the headers. */
const RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 - 16 * 1024;

/** Tensors as the state (and the batching queue) carries them: inline while under `limit` bytes, else staged. */
async function fromWire(names: readonly string[], tensors: Record<string, WireTensor> | undefined, store: () => ObjectStore, what: string): Promise<Feeds> {
  const out: Feeds = {};
  for (const name of names) {
    const w = tensors?.[name];
    if (!w) throw new UpstreamError(`${what} has no '${name}'`);
    out[name] = w.s3 ? tensorFromBytes(name, w.dtype, w.shape, await store().get(w.s3.bucket, w.s3.key)) : decodeJsonTensor(name, w);
  }
  return out;
}

/** The chain as one call: the state machine run synchronously on `feeds` (inputs over the state limit staged). */
function chainRun(p: PipelineConfig, env: Record<string, string | undefined>, getStore: () => ObjectStore, start: StartSyncExecution) {
  // The constants enter the state beside the request's inputs; each slice passes them on until their last reader
  // (its `keep`). Added after a batch is stacked: they are not per request.
  const constants = pipelineConstants(p);
  return async (feeds: Feeds): Promise<Feeds> => {
    const requestId = randomUUID();
    const limit = Number(env.MOPAR_INLINE_LIMIT_BYTES ?? DEFAULT_INLINE_LIMIT);
    const bucket = env.MOPAR_STAGING_BUCKET;
    const prefix = env.MOPAR_STAGING_PREFIX ?? 'staging/';
    const arn = env.MOPAR_STATE_MACHINE_ARN;
    if (!arn) throw new Error('MOPAR_STATE_MACHINE_ARN is not set');
    const tensors = await packTensors({ ...feeds, ...constants }, limit, 16, async (name) => {
      if (!bucket) throw new Error(`input '${name}' exceeds the ${limit}-byte inline limit and MOPAR_STAGING_BUCKET is not set`);
      return { bucket, key: `${prefix}${requestId}/input/${encodeURIComponent(name)}` };
    }, getStore);
    const ex = await start(arn, JSON.stringify({ tensors } satisfies WireMessage));
    if (ex.status !== 'SUCCEEDED') throw new UpstreamError(`the state machine ended ${ex.status}: ${ex.error ?? ''} ${ex.cause ?? ''}`.trim());
    let result: WireMessage;
    try {
      result = JSON.parse(ex.output ?? '') as WireMessage;
    } catch (err) {
      throw new UpstreamError(`the state machine's output is not JSON: ${errorMessage(err)}`);
    }
    return fromWire(p.outputs, result?.tensors, getStore, 'the state machine\'s output');
  };
}

/** The queue of the group that batches `app` (env MOPAR_BATCH_QUEUE_<i>, i = the group's index), or undefined. */
function groupOf(p: PipelineConfig, app: string): number | undefined {
  const i = p.batching?.groups.findIndex((g) => g.apps.some((a) => a.name === app));
  return i === undefined || i < 0 ? undefined : i;
}

/** What the batching queue carries per request. */
interface QueuedRequest { id: string; app: string; queuedAt: number; tensors: Record<string, WireTensor> }

export function lambdaEntry(dir: string, opts: LambdaEntryOptions = {}) {
  const p = readPipeline(dir);
  const env = opts.env ?? process.env;
  let store = opts.store;
  const getStore = () => (store ??= s3Store());
  const run = opts.run ?? chainRun(p, env, getStore, opts.startSyncExecution ?? sfnStart());
  let send = opts.sendMessage;
  const metas = tensorMetas(p.inputs, p.tensors);

  /**
   * A request that names a batched application: queued for the group's batching front (SQS, then one state
   * machine run per batch) and answered 202 with where its result will be; its inputs travel inline in the
   * message while they fit SQS's 256 KiB, else staged in the bucket.
   */
  async function enqueue(req: { path: string; headers: Record<string, string>; body: Buffer }): Promise<V2ReplyLike | undefined> {
    const h = req.headers['inference-header-content-length'];
    const parsed = parseInferRequest(req.body, h === undefined ? undefined : Number(h), metas);
    checkMaxBatch(parsed.feeds, metas, p.maxBatch);
    checkShapeRanges(parsed.feeds, p.ranges);
    const app = parsed.app ?? (req.headers['x-mopar-app'] || undefined);
    if (!app) return undefined; // runs alone, as before
    const g = groupOf(p, app);
    if (g === undefined) throw new HttpError(400, `unknown application '${app.slice(0, 100)}' for model '${p.model}' (known: ${p.batching!.groups.flatMap((x) => x.apps.map((a) => a.name)).join(', ')})`);
    const queue = env[`MOPAR_BATCH_QUEUE_${g}`];
    const bucket = env.MOPAR_STAGING_BUCKET;
    if (!queue || !bucket) throw new Error(`MOPAR_BATCH_QUEUE_${g} or MOPAR_STAGING_BUCKET is not set`);
    const id = randomUUID();
    const prefix = env.MOPAR_STAGING_PREFIX ?? 'staging/';
    const tensors = await packTensors(parsed.feeds, QUEUE_INLINE_LIMIT, 16, async (name) => ({ bucket, key: `${prefix}${id}/input/${encodeURIComponent(name)}` }), getStore);
    await (send ??= sqsSend())(queue, JSON.stringify({ id, app, queuedAt: Date.now(), tensors } satisfies QueuedRequest));
    const resultPath = `/v2/models/${encodeURIComponent(p.model)}/results/${id}`;
    return { status: 202, headers: { 'content-type': 'application/json', location: resultPath }, body: Buffer.from(JSON.stringify({ id, status: 'queued', result: resultPath })) };
  }

  /** GET …/results/ID: the answer the batching front stored, or 202 while it is not there yet. */
  async function result(id: string): Promise<V2ReplyLike> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpError(404, `no result '${id.slice(0, 40)}'`);
    const bucket = env.MOPAR_STAGING_BUCKET;
    if (!bucket) throw new Error('MOPAR_STAGING_BUCKET is not set');
    let bytes: Uint8Array;
    try {
      bytes = await getStore().get(bucket, `${RESULTS_PREFIX}${id}`);
    } catch {
      return { status: 202, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ id, status: 'pending' })) };
    }
    const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as { status: number; body: unknown };
    return { status: stored.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(stored.body)) };
  }

  // No /metrics: counters of one short-lived Lambda instance say little (CloudWatch has the platform's).
  const v2 = v2Handler(pipelineModel(p, run));
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const request = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? '/';
    let r: V2ReplyLike | undefined;
    if (p.batching) {
      try {
        const m = /^\/v2\/models\/([^/]+)\/(infer|results\/([^/]+))\/?$/.exec(path);
        if (m && safeDecode(m[1]!) === p.model) {
          if (method === 'POST' && m[2] === 'infer') r = await enqueue({ path, headers, body: request });
          else if (method === 'GET' && m[3]) r = await result(m[3]);
        }
      } catch (err) {
        const status = err instanceof HttpError || err instanceof CodecError ? err.status : 500;
        if (status === 500) console.error(err);
        r = { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error: status === 500 ? 'internal error (see the function\'s log)' : (err as Error).message })) };
      }
    }
    r ??= await v2({ method, path, headers, body: request });
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

/** Where the batching front stores each request's answer (`{status, body}` JSON), in the staging bucket. */
export const RESULTS_PREFIX = 'results/';
/** SQS takes at most 256 KiB per message: inputs above this go to the bucket. */
const QUEUE_INLINE_LIMIT = 200_000;

interface V2ReplyLike { status: number; headers: Record<string, string>; body: Buffer }

/** An SQS event as Lambda delivers a batch of messages. */
export interface SqsEvent { Records: { messageId: string; body: string }[] }

/**
 * The batching front of one model on Lambda (SQS event source, one per group, BatchSize = the group's maxBatch,
 * MaximumBatchingWindowInSeconds from its timeout): the requests of one delivery run through the state machine
 * as one batch (inputs stacked along the leading dim; requests whose other dims differ run as separate batches),
 * and every request's answer is stored under results/ID for GET /v2/models/MODEL/results/ID at the entry.
 */
export function lambdaBatchFront(dir: string, opts: LambdaEntryOptions = {}) {
  const p = readPipeline(dir);
  const env = opts.env ?? process.env;
  let store = opts.store;
  const getStore = () => (store ??= s3Store());
  const run = chainRun(p, env, getStore, opts.startSyncExecution ?? sfnStart());
  return async (event: SqsEvent): Promise<{ batches: number[] }> => {
    const bucket = env.MOPAR_STAGING_BUCKET;
    if (!bucket) throw new Error('MOPAR_STAGING_BUCKET is not set');
    const save = (id: string, status: number, body: unknown) => getStore().put(bucket, `${RESULTS_PREFIX}${id}`, Buffer.from(JSON.stringify({ status, body })));
    const requests: { q: QueuedRequest; feeds: Feeds }[] = [];
    for (const rec of event.Records ?? []) {
      let q: QueuedRequest;
      try {
        q = JSON.parse(rec.body) as QueuedRequest;
      } catch {
        console.error(`message ${rec.messageId} is not a queued request`);
        continue;
      }
      try {
        requests.push({ q, feeds: await fromWire(p.inputs, q.tensors, getStore, `request ${q.id}`) });
      } catch (err) {
        await save(q.id, 400, { error: errorMessage(err) });
      }
    }
    // Requests batch together only when every dim but the leading one agrees.
    const bySig = new Map<string, typeof requests>();
    for (const r of requests) {
      const sig = p.inputs.map((n) => `${r.feeds[n]!.dtype}:${r.feeds[n]!.dims.slice(1).join('x')}`).join('|');
      bySig.set(sig, [...(bySig.get(sig) ?? []), r]);
    }
    const batches: number[] = [];
    for (const group of [...bySig.values()].flatMap((g) => byRows(g, (r) => r.feeds[p.inputs[0]!]!.dims[0] ?? 1, p.maxBatch))) {
      batches.push(group.length);
      try {
        const outputs = splitFeeds(await run(concatFeeds(group.map((r) => r.feeds))), group.map((r) => r.feeds[p.inputs[0]!]!.dims[0] ?? 1));
        await Promise.all(group.map((r, i) => {
          const out = inferResponse(p.model, r.q.id, outputs[i]!, p.outputs, false);
          return save(r.q.id, 200, JSON.parse(out.body.toString('utf8')));
        }));
      } catch (err) {
        console.error(err);
        const status = err instanceof UpstreamError ? 502 : 500;
        await Promise.all(group.map((r) => save(r.q.id, status, { error: status === 502 ? errorMessage(err) : 'internal error (see the function\'s log)' })));
      }
    }
    return { batches };
  };
}

/** A path segment decoded, or as it came when it is not valid percent-encoding (then it names no model: v2's 400). */
function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** Consecutive runs of `items` holding at most `maxRows` rows each (one item alone may hold more: it was checked). */
function byRows<T>(items: T[], rows: (t: T) => number, maxRows = Infinity): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let n = 0;
  for (const it of items) {
    const r = rows(it);
    if (cur.length > 0 && n + r > maxRows) { out.push(cur); cur = []; n = 0; }
    cur.push(it);
    n += r;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
