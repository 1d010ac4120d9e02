/**
 * The gateway: an HTTP server (127.0.0.1 by default) speaking the Open Inference Protocol (KServe v2) for
 * several served models side by side, with Prometheus metrics at /metrics and per-function accounting at
 * /v2/models/{name}/stats (a mopar extension). Routes and errors: v2-router.ts (shared with the deployed
 * functions); totals and metrics: ledger.ts; start-up and drain: startup.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MoparError, errorMessage, log } from '../core/index.js';
import { STATUS_PAGE, litHtmlSource, statusSnapshot, type StatusSnapshot } from './status.js';
import { DEFAULT_RUNTIME, ServedModel, type InferResult, type RuntimeOptions } from './model.js';
import { loadServable } from './servable.js';
import { HttpError, deadlineParameter, headerLengthParameter, inferResponse, parseInferRequest, requestBodyLimit, writeChunks } from './protocol.js';
import { FunctionFailedError, type FunctionInstance } from './instance.js';
import type { SpawnReason } from './pool.js';
import { ClientGoneError, DeadlineError, SaturatedError } from './admission.js';
import { BatchInputError, Batcher, type BatchingConfig } from './batcher.js';
import { atMaxBatch, checkMaxBatch } from './max-batch.js';
import { atRangeTop, checkShapeRanges, rangeParameters } from './shape-ranges.js';
import { RequestTrace } from './trace.js';
import { errorReply, jsonReply, readBody, refuseConnect, requestPath, routeV2, type V2Reply, type V2Service } from './v2-router.js';
import { Ledger } from './ledger.js';
import { PoolRegistry } from './pool-registry.js';
import { Inflight, startUp } from './startup.js';

export interface GatewayOptions extends RuntimeOptions {
  /**
   * Largest request body accepted, for every model (HTTP 413 above, as soon as the declared length or the bytes
   * received pass it). Unset: per model, from its own inputs (see requestBodyLimit).
   */
  maxBodyBytes?: number;
  /** Start one instance of every function before serving. */
  prewarm: boolean;
  /** On shutdown, how long requests in flight may take to finish before they are cut. */
  drainMs?: number;
  /** Client timeouts of the HTTP server (defaults: HTTP_TIMEOUTS). */
  httpTimeouts?: Partial<typeof HTTP_TIMEOUTS>;
  /** Log one line per answered inference request with its phase timings (`serve --trace`, trace.ts). */
  trace?: boolean;
}

export const DEFAULT_GATEWAY: GatewayOptions = { ...DEFAULT_RUNTIME, prewarm: true, drainMs: 30_000 };

/** Client timeouts of the HTTP server: slow or idle connections cannot pile up. */
export const HTTP_TIMEOUTS = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, checkEveryMs: 1_000 };

export class Gateway {
  readonly models = new Map<string, ServedModel>();
  readonly sharedPools = new PoolRegistry(); // one pool for a function file several served models use
  private readonly ledger = new Ledger(() => this.models.values());
  readonly metrics = this.ledger.metrics;
  private server?: Server;
  private stopping?: Promise<void>;
  private readonly inflight = new Inflight();
  /** Per model: request batching by application group (enableBatching). */
  private readonly batchers = new Map<string, Batcher>();
  /** Every instance start of every served model (tests and benches watch warm-up through it). */
  onSpawn?: (model: string, fn: string, inst: FunctionInstance, reason: SpawnReason) => void;
  /** What the router needs of the served models, plus the gateway's own pages and /stats. */
  private readonly service: V2Service = {
    models: () => [...this.models.keys()],
    model: (name) => {
      const m = this.models.get(name);
      return m && {
        inputs: m.inputs, outputs: m.outputs,
        parameters: { functions: m.manifest.functions.length, strategy: m.manifest.strategy, platform: m.manifest.platform,
          // Triton's name for the largest batch a request may carry (shapes keep the batch dim, as -1).
          ...(m.manifest.maxBatch !== undefined ? { max_batch_size: m.manifest.maxBatch } : {}), ...rangeParameters(m.manifest.ranges) },
      };
    },
    extensions: ['binary_tensor_data', 'mopar_stats'],
    metrics: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.text() }),
    page: (path) => path === '/' ? page('text/html; charset=utf-8', STATUS_PAGE)
      : path === '/status.json' ? jsonReply(200, this.status())
        : path === '/status/lit-html.js' ? page('text/javascript; charset=utf-8', litHtmlSource()) : undefined,
    stats: (name) => this.stats(name),
  };

  constructor(readonly opts: GatewayOptions = DEFAULT_GATEWAY) {}

  /** Adds a model from a manifest directory or a plain ONNX file; returns its served name. */
  addModel(path: string, name?: string): string {
    const { manifest, dir } = loadServable(path);
    let n = name ?? manifest.model;
    // The unsplit ONNX file next to its partitioned manifest: serve it as '<model>-unsplit'.
    if (this.models.has(n) && manifest.strategy === 'unsplit' && !name) n = `${n}-unsplit`;
    for (let k = 2; this.models.has(n); k++) n = `${name ?? manifest.model}-${k}`;
    this.models.set(n, new ServedModel(n, manifest, dir, this.opts, this.ledger.modelHooks(n, (fn, inst, reason) => this.onSpawn?.(n, fn, inst, reason)), this.sharedPools));
    return n;
  }

  /**
   * Batches the requests of a served model per group of applications (runtime/batcher.ts). A request names its
   * application in `parameters.app` or the `x-mopar-app` header; requests naming none run alone as before.
   */
  enableBatching(modelName: string, cfg: BatchingConfig): void {
    const model = this.models.get(modelName);
    if (!model) throw new MoparError(`cannot batch '${modelName}': no such model is served`);
    const fixed = model.inputs.filter((t) => typeof t.shape[0] === 'number' && t.shape[0] >= 0);
    if (fixed.length > 0) {
      throw new MoparError(`cannot batch '${modelName}': input '${fixed[0]!.name}' has a fixed leading dim ${String(fixed[0]!.shape[0])} (build the model with a dynamic batch dim)`);
    }
    this.batchers.get(modelName)?.close();
    // A batch holds no more rows than the functions' memory is sized for (the manifest's maxBatch).
    this.batchers.set(modelName, new Batcher({ ...cfg, maxRows: cfg.maxRows ?? model.manifest.maxBatch }, (feeds, o) => model.infer(feeds, undefined, o),
      (group, size, result, err) => this.ledger.batch(modelName, group, size, result, err instanceof FunctionFailedError ? err.fn : undefined)));
  }

  /** Starts serving; resolves with the bound address once listening (and pre-warmed when asked). */
  async listen(port = 8080, host = '127.0.0.1'): Promise<AddressInfo> {
    await startUp([...this.models.values()], this.opts).catch(async (err) => { await this.close(); throw err; });
    const to = { ...HTTP_TIMEOUTS, ...this.opts.httpTimeouts };
    this.server = createServer({
      headersTimeout: to.headersMs, requestTimeout: to.requestMs, keepAliveTimeout: to.keepAliveMs, connectionsCheckingInterval: to.checkEveryMs,
    }, (req, res) => {
      // The last boundary: nothing a client sends may end the process (an unhandled rejection would).
      this.handle(req, res).catch((err: unknown) => {
        log(`mopar serve: ${req.method} request: ${errorMessage(err)}`);
        if (!res.headersSent) send(res, jsonReply(500, { error: 'internal error' }));
        else res.destroy();
      });
    });
    // CONNECT is not served; without this listener node drops the connection without an answer.
    this.server.on('connect', (_req: IncomingMessage, socket) => refuseConnect(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (err: NodeJS.ErrnoException) => reject(new MoparError(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      this.server!.listen(port, host, () => resolve());
    }).catch(async (err) => { await this.close(); throw err; });
    return this.server.address() as AddressInfo;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path = '(unparsed)';
    try {
      // Parsed inside the boundary: a malformed request target is the client's error (400), not the process's.
      path = requestPath(req.url);
      const routed = await routeV2(req.method ?? '', path, this.service);
      if ('reply' in routed) return send(res, routed.reply);
      if (this.inflight.draining) {
        res.setHeader('connection', 'close');
        throw new SaturatedError('the gateway is shutting down', 503);
      }
      return await this.infer(this.models.get(routed.infer)!, req, res);
    } catch (err) {
      if (err instanceof ClientGoneError || res.destroyed) return; // nobody to answer
      const reply = errorReply(err);
      if (reply.status === 500) log(`mopar serve: ${req.method} ${path}: ${errorMessage(err)}`);
      if (reply.status === 413) {
        // The rest of an oversized upload is discarded unparsed for a moment (so that a client still writing
        // reads the 413 instead of a reset), then the connection is cut.
        res.once('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
      }
      send(res, reply);
    }
  }

  /** What the status page shows (GET /status.json). */
  status(): StatusSnapshot { return statusSnapshot(this.models.values(), this.ledger); }

  /** The body limit of one model's requests (the explicit option, else derived from its inputs at its max batch). */
  bodyLimit(model: ServedModel): number {
    return this.opts.maxBodyBytes ?? requestBodyLimit(atRangeTop(atMaxBatch(model.inputs, model.manifest.maxBatch), model.manifest.ranges));
  }

  private async infer(model: ServedModel, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const trace = new RequestTrace();
    const t0 = trace.t0;
    const ledger = this.ledger;
    let status = 200;
    let deadline: number | undefined;
    let appLabel = '';
    this.inflight.enter();
    // The client leaving (connection closed before the answer) cancels what has not started yet.
    const gone = new AbortController();
    const onClose = () => { if (!res.writableFinished) gone.abort(); };
    res.once('close', onClose);
    try {
      // Refuse before reading the body: under overload a 429 must cost next to nothing.
      const refused = model.refusal();
      if (refused) throw refused;
      trace.mark('admit');
      const body = await readBody(req, this.bodyLimit(model));
      trace.mark('read');
      const parsed = parseInferRequest(body, headerLengthParameter(req.headers['inference-header-content-length']), model.inputs);
      checkMaxBatch(parsed.feeds, model.inputs, model.manifest.maxBatch);
      checkShapeRanges(parsed.feeds, model.manifest.ranges);
      const order = parsed.requested ?? model.outputs.map((o) => o.name);
      for (const o of order) if (!model.outputs.some((x) => x.name === o)) throw new HttpError(400, `unknown output '${o}' (the model's outputs: ${model.outputs.map((x) => x.name).join(', ')})`);
      if (gone.signal.aborted) throw new ClientGoneError(model.manifest.functions[0]?.name ?? model.name);
      const header = req.headers['x-mopar-app'];
      const app = parsed.app ?? (typeof header === 'string' && header.length > 0 ? header : undefined);
      appLabel = app ?? '';
      const batcher = app !== undefined ? this.batchers.get(model.name) : undefined;
      // The deadline: the body's parameters.deadline_ms, else the header, else the application's SLO (batching).
      const dh = req.headers['x-mopar-deadline-ms'];
      const deadlineMs = parsed.deadlineMs ?? (dh !== undefined ? deadlineParameter(Array.isArray(dh) ? dh[0] : dh, 'header x-mopar-deadline-ms') : batcher?.sloOf(app));
      if (deadlineMs !== undefined) {
        deadline = t0 + deadlineMs;
        ledger.deadlineCarried(model.name, appLabel);
      }
      trace.mark('parse');
      let result: InferResult;
      let outputs: InferResult['outputs'];
      let batchSize: number | undefined;
      if (batcher) {
        const sloMs = batcher.sloOf(app);
        if (sloMs === undefined) {
          throw new HttpError(400, `unknown application '${app!.slice(0, 100)}' for model '${model.name}' (known: ${batcher.apps.join(', ')})`);
        }
        // The batch is accounted once, when it ran (Batcher's onBatch); a client leaving does not cancel it.
        const reply = await batcher.submit(app, parsed.feeds, t0, deadline)
          .catch((e: unknown) => { throw e instanceof BatchInputError ? new HttpError(400, e.message) : e; });
        ({ result, outputs, batchSize } = reply);
        ledger.appAnswered(model.name, app!, sloMs, performance.now() - t0);
      } else {
        result = await model.infer(parsed.feeds, gone.signal, { deadline });
        outputs = result.outputs;
        ledger.account(model.name, result);
      }
      if (deadline !== undefined) ledger.deadlineEnded(model.name, appLabel, performance.now() > deadline);
      if (gone.signal.aborted) { ledger.abandon(model.name, 'completed'); status = 499; return; }
      // The chain's phases come from its own measurements (the batch's, for a batched request).
      trace.skip();
      trace.addCalls(result.calls);
      trace.ms.dispatch += result.dispatchMs ?? 0;
      trace.ms.collect += result.collectMs ?? 0;
      const out = inferResponse(model.name, parsed.id, outputs, order, parsed.binaryOutputs);
      trace.mark('encode');
      const headers: Record<string, string | number> = { ...out.headers, 'content-length': out.length, 'x-mopar-duration-ms': result.ms.toFixed(3) };
      if (batchSize !== undefined) headers['x-mopar-batch-size'] = batchSize;
      // Functions of this request that waited for their instance's start (a cold start on its path).
      const cold = result.calls.filter((c) => c.cold).length;
      if (cold > 0) headers['x-mopar-cold-calls'] = cold;
      if (this.inflight.draining) headers.connection = 'close';
      if (req.headers['x-mopar-trace'] === '1') headers['x-mopar-trace'] = trace.text();
      res.writeHead(200, headers);
      writeChunks(res, out.chunks, () => this.traced(model.name, trace));
    } catch (err) {
      status = err instanceof ClientGoneError ? 499 : errorReply(err).status;
      if (err instanceof ClientGoneError) ledger.abandon(model.name, 'cancelled', err.calls);
      else if (err instanceof DeadlineError) ledger.shed(model.name, appLabel, err.calls);
      else if (err instanceof FunctionFailedError) ledger.failed(model.name, err.fn);
      // Refused or timed out in a queue: not answered by its deadline either.
      else if (deadline !== undefined && err instanceof SaturatedError) ledger.deadlineEnded(model.name, appLabel, true);
      if (this.inflight.draining) res.setHeader('connection', 'close');
      throw err;
    } finally {
      res.off('close', onClose);
      ledger.request(model.name, status, performance.now() - t0);
      this.inflight.leave();
    }
  }

  /** The request was written: its last phase, then the phase histogram and `serve --trace`'s line. */
  private traced(model: string, trace: RequestTrace): void {
    trace.mark('write');
    this.ledger.phases(model, trace);
    if (this.opts.trace) log(`mopar serve: trace ${model} ${trace.text()}`);
  }

  /** Per-function accounting and per-edge hand-off costs of one model. */
  stats(name: string) {
    return this.ledger.stats(this.models.get(name)!, this.opts.enforceLimits);
  }

  /**
   * Graceful stop: refuse new connections and requests (503), let the requests in flight finish for up to
   * `drainMs`, then close() (instances stopped, segments removed). Resolves with how many were cut.
   */
  async shutdown(drainMs = this.opts.drainMs ?? 30_000): Promise<{ drained: number; cut: number }> {
    this.inflight.draining = true;
    const before = this.inflight.count;
    if (this.server?.listening) this.server.close();
    this.server?.closeIdleConnections();
    const cut = await this.inflight.settle(drainMs);
    await this.close();
    return { drained: before - cut, cut };
  }

  /** Stops serving, stops every instance and removes every segment. Safe to call twice. */
  close(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.server) {
        this.server.closeAllConnections();
        await new Promise<void>((r) => (this.server!.listening ? this.server!.close(() => r()) : r()));
      }
      for (const b of this.batchers.values()) b.close(new SaturatedError('the gateway is shutting down', 503));
      await Promise.all([...this.models.values()].map((m) => m.close()));
    })();
    return this.stopping;
  }
}

const page = (type: string, text: string): V2Reply => ({ status: 200, headers: { 'content-type': type, 'cache-control': 'no-cache' }, body: Buffer.from(text) });

function send(res: ServerResponse, reply: V2Reply): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
  res.end(reply.body);
}
