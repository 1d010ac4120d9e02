/**
 * The Open Inference Protocol (KServe v2) as every deployed HTTP entry speaks it — the same routes, bodies and
 * errors as `mopar serve`, built on src/runtime's protocol module: health, server and model metadata, model
 * readiness, infer (JSON and the binary tensor extension) and, where asked, Prometheus metrics. Platform-neutral:
 * a request is {method, path, headers, body}; adapters map node:http, the OpenFaaS node20 contract and Lambda
 * function URL events onto it.
 */
import { HttpError, checkMaxBatch, checkShapeRanges, headerLengthParameter, inferResponse, parseInferRequest, type TensorMeta } from '../../runtime/index.js';
import { errorReply, requestPath, routeV2, statusOf, type V2Reply, type V2Service } from '../../runtime/lean.js';
import type { Feeds, InputRanges } from '../../graph/index.js';

export type { V2Reply };
export interface V2Request { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer }
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
export class UpstreamError extends HttpError {
  constructor(message: string) {
    super(502, message);
    this.name = 'UpstreamError';
  }
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

  const service: V2Service = {
    models: () => [model.name],
    model: (name) => (name === model.name ? { inputs: model.inputs, outputs: model.outputs, parameters: model.parameters ?? {} } : undefined),
    extensions: ['binary_tensor_data'],
    ...(metrics ? { metrics: () => metrics.expose() } : {}),
  };

  async function route(req: V2Request): Promise<V2Reply> {
    const routed = await routeV2(req.method, requestPath(req.path), service);
    if ('reply' in routed) return routed.reply;
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

  return async (req) => {
    try {
      return await route(req);
    } catch (err) {
      const reply = errorReply(err, 'internal error (see the function\'s log)');
      // Unexpected errors are logged where the platform keeps logs; the answer names no local detail.
      if (reply.status === 500) console.error(err);
      return reply;
    }
  };
}
