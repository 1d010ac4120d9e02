/**
 * A small Open Inference Protocol client (used by `mopar invoke`, the tests and the benchmarks): binary tensors
 * out and in, over node:http with keep-alive.
 */
import { request, Agent } from 'node:http';
import { MoparError, Rng } from '../core/index.js';
import { numel, type Feeds, type PlainTensor } from '../graph/index.js';
import { fromV2Datatype, parseInferResponse, v2Datatype } from './protocol.js';
import { bytesOf, joinFrame } from '../codec/index.js';

export interface HttpReply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function httpRequest(url: string, opts: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {}, retried = false): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed for idleness just as we reused it: the request never reached it
      // (inference has no side effects), so once more on a fresh socket — the pattern Node's docs give.
      if (!retried && req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) {
        resolve(httpRequest(url, opts, true));
        return;
      }
      reject(new MoparError(`cannot reach ${url}: ${err.message}`));
    });
    req.end(opts.body);
  });
}

export interface ModelMetadata { name: string; inputs: Array<{ name: string; datatype: string; shape: number[] }>; outputs: Array<{ name: string; datatype: string; shape: number[] }> }

export async function modelMetadata(base: string, model: string): Promise<ModelMetadata> {
  const r = await httpRequest(`${base.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(model)}`);
  if (r.status !== 200) throw new MoparError(`${base}: model '${model}': HTTP ${r.status}: ${errorOf(r)}`);
  return JSON.parse(r.body.toString()) as ModelMetadata;
}

export function errorOf(r: HttpReply): string {
  try {
    return (JSON.parse(r.body.toString()) as { error?: string }).error ?? r.body.toString();
  } catch {
    return r.body.toString().slice(0, 200);
  }
}

/** Random inputs for a model's metadata: floats in [-1, 1), integers in [0, intHigh), -1 dims as 1. */
export function randomFeeds(meta: ModelMetadata, seed = 1, intHigh = 2): Feeds {
  const rng = new Rng(seed);
  const feeds: Feeds = {};
  for (const t of meta.inputs) {
    const dtype = fromV2Datatype(t.datatype);
    if (!dtype) throw new MoparError(`input '${t.name}': datatype ${t.datatype} is not supported`);
    const dims = t.shape.map((d) => (d < 0 ? 1 : d));
    const n = numel(dims);
    let data: PlainTensor['data'];
    if (dtype === 'float32') data = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    else if (dtype === 'float64') data = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
    else if (dtype === 'int64') data = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng.next() * intHigh)));
    else if (dtype === 'int32') data = Int32Array.from({ length: n }, () => Math.floor(rng.next() * intHigh));
    else if (dtype === 'bool') data = Uint8Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1)) as unknown as PlainTensor['data'];
    else throw new MoparError(`input '${t.name}': cannot make random ${t.datatype} data`);
    feeds[t.name] = { dtype, dims, data };
  }
  return feeds;
}

/** A binary-extension infer request body and headers. */
export function binaryInferRequest(feeds: Feeds, opts: { id?: string; binaryOutputs?: boolean } = {}): { body: Buffer; headers: Record<string, string | number> } {
  const entries = Object.entries(feeds);
  const parts = entries.map(([, t]) => bytesOf(t));
  const { body, headerLength } = joinFrame({
    ...(opts.id ? { id: opts.id } : {}),
    inputs: entries.map(([name, t], i) => ({ name, datatype: v2Datatype(t.dtype), shape: t.dims, parameters: { binary_data_size: parts[i]!.byteLength } })),
    parameters: { binary_data_output: opts.binaryOutputs ?? true },
  }, parts);
  return { body, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': headerLength, 'content-length': body.length } };
}

export interface InferReply {
  status: number; ms: number; outputs: Feeds; raw: ReturnType<typeof parseInferResponse>;
  /** Requests in the batch that answered this one (batching gateways only). */
  batchSize?: number;
}

/** Sends one binary infer request; throws a MoparError naming the HTTP status on failure. */
export async function infer(base: string, model: string, feeds: Feeds, opts: { app?: string } = {}): Promise<InferReply> {
  const { body, headers } = binaryInferRequest(feeds);
  // The application a batching gateway groups the request by (docs/batching.md).
  if (opts.app) headers['x-mopar-app'] = opts.app;
  const t0 = performance.now();
  const r = await httpRequest(`${base.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(model)}/infer`, { method: 'POST', headers, body });
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new MoparError(`HTTP ${r.status}: ${errorOf(r)}`);
  const h = r.headers['inference-header-content-length'];
  const raw = parseInferResponse(r.body, h === undefined ? undefined : Number(h));
  const outputs: Feeds = {};
  for (const o of raw.outputs) {
    outputs[o.name] = { dtype: fromV2Datatype(o.datatype)!, dims: o.shape, data: o.data as PlainTensor['data'] };
  }
  const size = r.headers['x-mopar-batch-size'];
  return { status: r.status, ms, outputs, raw, ...(size === undefined ? {} : { batchSize: Number(size) }) };
}
