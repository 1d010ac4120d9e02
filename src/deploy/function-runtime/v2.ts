/**
 * The Open Inference Protocol (KServe v2) as every deployed HTTP entry speaks it — the same routes, bodies and
 * errors as `mopar serve`, built on src/runtime's protocol module: health, server and model metadata, model
 * readiness, infer (JSON and the binary tensor extension) and, where asked, Prometheus metrics. Platform-neutral:
 * a request is {method, path, headers, body}; adapters map node:http, the OpenFaaS node20 contract and Lambda
 * function URL events onto it.
 */
import { HttpError, checkMaxBatch, checkShapeRanges, headerLengthParameter, inferResponse, parseInferRequest, v2Meta, type TensorMeta } from '../../runtime/index.js';
import { MoparError } from '../../core/index.js';
import { CodecError } from '../../codec/index.js';
import type { Feeds, InputRanges } from '../../graph/index.js';

export interface V2Request { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer }
export interface V2Reply { status: number; headers: Record<string, string>; body: Buffer }
export type V2Handler = (req: V2Request) => Promise<V2Reply>;

export interface V2Model {
  name: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  parameters?: Record<string, unknown>;
  /** Largest batch a request may carry (the manifest's maxBatch): a larger one is a 400 naming it. */
  maxBatch?: number;
  /** Dims a request may vary within (the manifest's ranges): one outside its range is a 400 naming it. */
  ranges?: InputRanges;
  run(feeds: Feeds): Promise<Feeds>;
  /**
   * Batched run of a request that names its application (`parameters.app` or the `x-mopar-app` header); absent:
   * such requests run alone. Throws HttpError 400 for an application no group knows.
   */
  batch?(app: string, feeds: Feeds): Promise<{ outputs: Feeds; batchSize: number }>;
}

/** Request counts and latencies, and their exposition (GET /metrics); see metrics.ts. */
export interface V2Metrics {
  request(model: string, code: number, seconds: number): void;
  expose(): Promise<{ contentType: string; text: string }>;
}

/** A function the entry called answered with an error (HTTP 502 at the entry: the fault is not the client's). */
export class UpstreamError extends MoparError {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

const json = (status: number, body: unknown): V2Reply => ({
  status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)),
});

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof CodecError) return err.status;
  if (err instanceof UpstreamError) return 502;
  return 500;
}

/** Request text quoted in an error, at most ~100 characters (a request line may be 16 KiB). */
function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

function header(h: V2Request['headers'], name: string): string | undefined {
  const v = h[name] ?? h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** With `metrics`, counts infer requests and serves GET /metrics (the chain's entry does; its slices do not). */
export function v2Handler(model: V2Model, opts: { metrics?: V2Metrics } = {}): V2Handler {
  const metrics = opts.metrics;
  const outputNames = model.outputs.map((o) => o.name);

  async function infer(req: V2Request): Promise<V2Reply> {
    const parsed = parseInferRequest(req.body, headerLengthParameter(header(req.headers, 'inference-header-content-length')), model.inputs);
    checkMaxBatch(parsed.feeds, model.inputs, model.maxBatch);
    checkShapeRanges(parsed.feeds, model.ranges);
    const order = parsed.requested ?? outputNames;
    for (const o of order) if (!outputNames.includes(o)) throw new HttpError(400, `unknown output '${o}' (the model's outputs: ${outputNames.join(', ')})`);
    const app = parsed.app ?? (header(req.headers, 'x-mopar-app') || undefined);
    let outputs: Feeds;
    let batchSize: number | undefined;
    if (app && model.batch) ({ outputs, batchSize } = await model.batch(app, parsed.feeds));
    else outputs = await model.run(parsed.feeds);
    const out = inferResponse(model.name, parsed.id, outputs, order, parsed.binaryOutputs);
    return { status: 200, headers: batchSize === undefined ? out.headers : { ...out.headers, 'x-mopar-batch-size': String(batchSize) }, body: out.body };
  }

  async function route(req: V2Request): Promise<V2Reply> {
    const path = req.path.split('?')[0]!.replace(/\/+$/, '') || '/';
    const get = req.method === 'GET';
    if (get && (path === '/v2/health/live' || path === '/v2/health/ready')) return json(200, { live: true, ready: true });
    if (get && path === '/v2') return json(200, { name: 'mopar', version: '0.1.0', extensions: ['binary_tensor_data'] });
    if (get && path === '/metrics' && metrics) {
      const m = await metrics.expose();
      return { status: 200, headers: { 'content-type': m.contentType }, body: Buffer.from(m.text) };
    }
    if (get && path === '/v2/models') return json(200, { models: [model.name] });
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?(\/ready|\/infer)?$/.exec(path);
    if (!m) throw new HttpError(404, `no route ${clip(req.method)} ${clip(path)}`);
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      throw new HttpError(400, `model name in ${JSON.stringify(clip(path))} is not valid percent-encoding`);
    }
    if (name !== model.name) throw new HttpError(404, `unknown model '${clip(name)}' (served: ${model.name})`);
    if (get && !m[2]) {
      return json(200, { name, versions: ['1'], platform: 'mopar', inputs: model.inputs.map(v2Meta), outputs: model.outputs.map(v2Meta), parameters: model.parameters ?? {} });
    }
    if (get && m[2] === '/ready') return json(200, { name, ready: true });
    if (req.method === 'POST' && m[2] === '/infer') {
      const t0 = performance.now();
      let status = 200;
      try {
        return await infer(req);
      } catch (err) {
        status = statusOf(err);
        throw err;
      } finally {
        metrics?.request(model.name, status, (performance.now() - t0) / 1000);
      }
    }
    throw new HttpError(405, `${clip(req.method)} not allowed on ${clip(path)}`);
  }

  return async (req) => {
    try {
      return await route(req);
    } catch (err) {
      const status = statusOf(err);
      // Unexpected errors are logged where the platform keeps logs; the answer names no local detail.
      if (status === 500) console.error(err);
      return json(status, { error: status === 500 ? 'internal error (see the function\'s log)' : (err as Error).message });
    }
  };
}
