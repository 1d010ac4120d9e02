/**
 * The gateway: an HTTP server (127.0.0.1 by default) speaking the Open Inference Protocol (KServe v2) for
 * several served models side by side, with Prometheus metrics at /metrics and per-function accounting at
 * /v2/models/{name}/stats (a mopar extension).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { basename } from 'node:path';
import { MoparError, errorMessage, log, cgroupsAvailable } from '../core/index.js';
import { Metrics } from './metrics.js';
import { STATUS_PAGE, litHtmlSource, statusSnapshot, type StatusSnapshot } from './status.js';
import { DEFAULT_RUNTIME, ServedModel, loadServable, type InferResult, type RuntimeOptions } from './model.js';
import { HttpError, deadlineParameter, headerLengthParameter, inferResponse, parseInferRequest, requestBodyLimit, v2Meta } from './protocol.js';
import { FunctionFailedError, FunctionTimeoutError, type FunctionInstance } from './instance.js';
import { ClientGoneError, DeadlineError, SaturatedError, type SpawnReason } from './pool.js';
import { CodecError } from '../codec/index.js';
import { sweepStaleSegments } from './segments.js';
import { sweepLeanCache } from './lean-load.js';
import { BatchInputError, Batcher, type BatchingConfig } from './batcher.js';
import { atMaxBatch, checkMaxBatch } from './max-batch.js';
import { atRangeTop, checkShapeRanges, rangeParameters } from './shape-ranges.js';
import { PHASES, RequestTrace } from './trace.js';

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

/** Running totals per function (what /stats reports). */
interface FnTotals {
  invocations: number; errors: number; coldStarts: number; crashes: number; ms: number; gbSeconds: number; vcpuSeconds: number; peakRssMB: number;
  /** Per cold start: the whole of it and its phases (process start, weights fetch, session creation). */
  coldStartMs: number[]; spawnMs: number[]; fetchMs: number[]; loadMs: number[]; fetchBytes: number;
  /** Instances started, by why (pool.ts SpawnReason). */
  starts: Record<SpawnReason, number>;
  /** Calls that waited for their instance's start. */
  coldCalls: number;
}
/** Per model: requests that carried a deadline, and how they ended. */
interface DeadlineTotals { requests: number; met: number; missed: number; shed: number }
interface EdgeTotals { transport: string; codec?: string; count: number; rawBytes: number; wireBytes: number; encodeMs: number; lossy?: string; maxAbsErr?: number; maxRelErr?: number }

export class Gateway {
  readonly models = new Map<string, ServedModel>();
  readonly metrics = new Metrics();
  private server?: Server;
  private readonly totals = new Map<string, FnTotals>();
  private readonly edgeTotals = new Map<string, EdgeTotals>();
  private stopping?: Promise<void>;
  private draining = false;
  /** Inference requests being handled (what a drain waits for). */
  private inflight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  /** Per model: requests whose client left — finished anyway (work wasted) or cut short (functions not started). */
  private readonly abandoned = new Map<string, { completed: number; cancelled: number }>();
  /** Per model: request batching by application group (enableBatching). */
  private readonly batchers = new Map<string, Batcher>();
  /** Per model and application with an SLO: answered requests and those later than the SLO (status page). */
  private readonly appSlo = new Map<string, { model: string; app: string; sloMs: number; requests: number; misses: number }>();
  private readonly deadlines = new Map<string, DeadlineTotals>();
  /** Every instance start of every served model (tests and benches watch warm-up through it). */
  onSpawn?: (model: string, fn: string, inst: FunctionInstance, reason: SpawnReason) => void;

  constructor(readonly opts: GatewayOptions = DEFAULT_GATEWAY) {
    const m = this.metrics;
    m.define('mopar_requests_total', 'counter', 'Inference requests by model and HTTP status.');
    m.define('mopar_request_duration_seconds', 'histogram', 'End-to-end inference latency at the gateway.');
    m.define('mopar_function_invocations_total', 'counter', 'Function invocations.');
    m.define('mopar_function_duration_seconds', 'histogram', 'Billed duration of a function invocation (in the host).');
    m.define('mopar_function_cold_starts_total', 'counter', 'Instances started (spawn + model load).');
    m.define('mopar_function_cold_start_seconds', 'histogram', 'Cold start of an instance by phase: spawn (process, Node and onnxruntime start), fetch (weights from the object store), load (session creation), total.',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    m.define('mopar_function_weights_fetched_bytes_total', 'counter', 'Weight bytes instances fetched from the object store at cold start.');
    m.define('mopar_function_crashes_total', 'counter', 'Instances that died unexpectedly.');
    m.define('mopar_function_billed_gb_seconds_total', 'counter', 'Billed GB-seconds (memory size x billed duration).');
    m.define('mopar_function_billed_vcpu_seconds_total', 'counter', 'Billed vCPU-seconds.');
    m.define('mopar_function_peak_rss_bytes', 'gauge', 'Peak RSS of the function\'s instances so far.');
    m.define('mopar_function_instances', 'gauge', 'Running or starting instances.');
    m.define('mopar_function_queue_wait_seconds', 'histogram', 'Time a call waited for a free instance (0 when one was free).');
    m.define('mopar_edge_bytes_total', 'counter', 'Bytes that crossed each hand-off (after compression; 0 for shared memory).');
    m.define('mopar_batch_size', 'histogram', 'Requests per dispatched batch (one invocation per function per batch).', [1, 2, 4, 8, 16, 32, 64, 128]);
    m.define('mopar_app_request_duration_seconds', 'histogram', 'End-to-end latency per application (batched requests).');
    m.define('mopar_app_requests_total', 'counter', 'Answered requests per application (batched requests).');
    m.define('mopar_app_slo_misses_total', 'counter', 'Requests answered later than their application\'s SLO.');
    m.define('mopar_deadline_requests_total', 'counter', 'Requests that carried a deadline (parameters.deadline_ms, x-mopar-deadline-ms or their application\'s SLO), by model and app.');
    m.define('mopar_deadline_misses_total', 'counter', 'Requests answered after their deadline, by model and app.');
    m.define('mopar_requests_shed_total', 'counter', 'Requests shed early (503) because they could no longer meet their deadline, by model and app.');
    m.define('mopar_request_phase_seconds', 'histogram', `Time of each phase of an answered inference request (trace.ts: ${PHASES.join(', ')}).`,
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
    m.define('mopar_function_instance_starts_total', 'counter', 'Instances started, by reason: demand (a call found none free), request (warm-up of a cold chain), policy (keep-alive pre-warm), serve (start of serve).');
    m.gauge('mopar_function_instances', () => this.fnLabels().map(([l, p]) => [l, p.instances.length]));
    m.gauge('mopar_function_peak_rss_bytes', () => this.fnLabels().map(([l]) => [l, (this.totals.get(`${l.model}/${l.function}`)?.peakRssMB ?? 0) * 2 ** 20]));
  }

  private fnLabels() {
    return [...this.models.values()].flatMap((m) => [...m.pools.values()].map((p) => [{ model: m.name, function: p.name }, p] as const));
  }

  private fnTotals(model: string, fn: string): FnTotals {
    const k = `${model}/${fn}`;
    let t = this.totals.get(k);
    if (!t) {
      t = { invocations: 0, errors: 0, coldStarts: 0, crashes: 0, ms: 0, gbSeconds: 0, vcpuSeconds: 0, peakRssMB: 0, coldStartMs: [], spawnMs: [], fetchMs: [], loadMs: [], fetchBytes: 0, starts: { demand: 0, request: 0, policy: 0, serve: 0 }, coldCalls: 0 };
      this.totals.set(k, t);
    }
    return t;
  }

  /** Adds a model from a manifest directory or a plain ONNX file; returns its served name. */
  addModel(path: string, name?: string): string {
    const { manifest, dir } = loadServable(path);
    let n = name ?? manifest.model;
    // The unsplit ONNX file next to its partitioned manifest: serve it as '<model>-unsplit'.
    if (this.models.has(n) && manifest.strategy === 'unsplit' && !name) n = `${n}-unsplit`;
    for (let k = 2; this.models.has(n); k++) n = `${name ?? manifest.model}-${k}`;
    const model = new ServedModel(n, manifest, dir, this.opts, {
      acquired: (fn, waitMs) => this.metrics.observe('mopar_function_queue_wait_seconds', { model: n, function: fn }, waitMs / 1000),
      spawned: (fn, inst, reason) => {
        this.fnTotals(n, fn).starts[reason]++;
        this.metrics.inc('mopar_function_instance_starts_total', { model: n, function: fn, reason });
        this.onSpawn?.(n, fn, inst, reason);
      },
      coldStart: (fn, inst) => {
        const t = this.fnTotals(n, fn);
        t.coldStarts++;
        t.coldStartMs.push(inst.coldStartMs);
        t.spawnMs.push(inst.spawnMs);
        t.fetchMs.push(inst.fetchMs);
        t.loadMs.push(inst.loadMs);
        t.fetchBytes += inst.fetchBytes;
        t.peakRssMB = Math.max(t.peakRssMB, inst.peakRssMB);
        this.metrics.inc('mopar_function_cold_starts_total', { model: n, function: fn });
        const phases = { spawn: inst.spawnMs, fetch: inst.fetchMs, load: inst.loadMs, total: inst.coldStartMs };
        for (const [phase, ms] of Object.entries(phases)) this.metrics.observe('mopar_function_cold_start_seconds', { model: n, function: fn, phase }, ms / 1000);
        if (inst.fetchBytes) this.metrics.inc('mopar_function_weights_fetched_bytes_total', { model: n, function: fn }, inst.fetchBytes);
      },
      crash: (fn, inst) => {
        this.fnTotals(n, fn).crashes++;
        this.metrics.inc('mopar_function_crashes_total', { model: n, function: fn });
        log(`mopar serve: ${n}/${fn}: instance ${inst.id} ${inst.exitReason}; it will be replaced`);
      },
    });
    this.models.set(n, model);
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
    this.batchers.set(modelName, new Batcher({ ...cfg, maxRows: cfg.maxRows ?? model.manifest.maxBatch }, (feeds) => model.infer(feeds), (group, size, result, err) => {
      this.metrics.observe('mopar_batch_size', { model: modelName, group }, size);
      if (result) this.account(modelName, result);
      else if (err instanceof FunctionFailedError) this.fnTotals(modelName, err.fn).errors++;
    }));
  }

  /** Starts serving; resolves with the bound address once listening (and pre-warmed when asked). */
  async listen(port = 8080, host = '127.0.0.1'): Promise<AddressInfo> {
    const swept = sweepStaleSegments();
    if (swept) log(`mopar serve: removed ${swept} shared-memory segments left by an earlier run`);
    const lean = sweepLeanCache();
    if (lean) log(`mopar serve: removed ${lean} stale memory-lean model rewrites from the cache`);
    if (this.opts.enforceLimits) {
      const cg = cgroupsAvailable();
      if (!(cg.cpu && cg.memory)) log(`mopar serve: note: CPU and memory limits are NOT enforced (${cg.reason ?? 'cgroups unavailable'})`);
    }
    if (this.opts.weights) {
      // Staged before anything starts: uploading is the deployment's work, not a cold start's.
      try {
        for (const m of this.models.values()) {
          const { objects, bytes } = await m.stageWeights();
          log(`mopar serve: ${m.name}: ${objects} objects (${(bytes / 2 ** 20).toFixed(1)} MB) staged in s3://${this.opts.weights.bucket}; instances fetch them at cold start`);
        }
      } catch (err) {
        await this.close();
        throw new MoparError(`could not stage the weights in the object store: ${errorMessage(err)}`);
      }
    }
    if (this.opts.prewarm) {
      for (const m of this.models.values()) m.prewarm();
      const failed = (await Promise.all([...this.models.values()].map(async (m) => (await m.startFailures()).map((f) => `model '${m.name}': ${f}`)))).flat();
      if (failed.length) {
        await this.close();
        throw new MoparError(failed[0]! + (failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''));
      }
    }
    const to = { ...HTTP_TIMEOUTS, ...this.opts.httpTimeouts };
    this.server = createServer({
      headersTimeout: to.headersMs, requestTimeout: to.requestMs, keepAliveTimeout: to.keepAliveMs, connectionsCheckingInterval: to.checkEveryMs,
    }, (req, res) => {
      // The last boundary: nothing a client sends may end the process (an unhandled rejection would).
      this.handle(req, res).catch((err: unknown) => {
        log(`mopar serve: ${req.method} request: ${errorMessage(err)}`);
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    // CONNECT is not served; without this listener node drops the connection without an answer.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseConnect(socket));
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
      // HEAD answers like GET without a body (node's ServerResponse drops it): probes often use HEAD.
      const get = req.method === 'GET' || req.method === 'HEAD';
      if (get && (path === '/v2/health/live' || path === '/v2/health/ready')) {
        return send(res, 200, { live: true, ready: true });
      }
      if (req.method === 'GET' && path === '/v2') {
        return send(res, 200, { name: 'mopar', version: '0.1.0', extensions: ['binary_tensor_data', 'mopar_stats'] });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const text = await this.metrics.text();
        res.writeHead(200, { 'content-type': this.metrics.contentType });
        res.end(text);
        return;
      }
      if (req.method === 'GET' && path === '/v2/models') return send(res, 200, { models: [...this.models.keys()] });
      if (get && path === '/') return sendText(res, 200, 'text/html; charset=utf-8', STATUS_PAGE);
      if (get && path === '/status.json') return send(res, 200, this.status());
      if (get && path === '/status/lit-html.js') return sendText(res, 200, 'text/javascript; charset=utf-8', litHtmlSource());
      const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/stats)?$/.exec(path);
      if (!m) throw new HttpError(404, `no route ${req.method} ${clip(path)}`);
      let name: string;
      try {
        name = decodeURIComponent(m[1]!);
      } catch {
        throw new HttpError(400, `model name in ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoding`);
      }
      const model = this.models.get(name);
      if (!model) throw new HttpError(404, `unknown model '${clip(name)}' (served: ${[...this.models.keys()].join(', ')})`);
      // One version per served model, '1' (as the metadata says); any other is not served.
      if (m[2] !== undefined && safeDecode(m[2]) !== MODEL_VERSION) {
        throw new HttpError(404, `unknown version '${clip(safeDecode(m[2]))}' of model '${name}' (versions: ${MODEL_VERSION})`);
      }
      const action = m[3];
      if (req.method === 'GET' && !action) {
        return send(res, 200, {
          name, versions: [MODEL_VERSION], platform: 'mopar', inputs: model.inputs.map(v2Meta), outputs: model.outputs.map(v2Meta),
          parameters: { functions: model.manifest.functions.length, strategy: model.manifest.strategy, platform: model.manifest.platform,
            // Triton's name for the largest batch a request may carry (shapes keep the batch dim, as -1).
            ...(model.manifest.maxBatch !== undefined ? { max_batch_size: model.manifest.maxBatch } : {}), ...rangeParameters(model.manifest.ranges) },
        });
      }
      if (get && action === '/ready') return send(res, 200, { name, ready: true });
      if (req.method === 'GET' && action === '/stats') return send(res, 200, this.stats(name));
      if (req.method === 'POST' && action === '/infer') {
        if (this.draining) {
          res.setHeader('connection', 'close');
          throw new SaturatedError('the gateway is shutting down', 503);
        }
        return await this.infer(model, req, res);
      }
      throw new HttpError(405, `${req.method} not allowed on ${clip(path)}`);
    } catch (err) {
      if (err instanceof ClientGoneError || res.destroyed) return; // nobody to answer
      const status = statusOf(err);
      if (status === 500) log(`mopar serve: ${req.method} ${path}: ${errorMessage(err)}`);
      // Our own 4xx messages are built from the request; anything else may quote a file: no local paths out.
      const body: Record<string, unknown> = { error: err instanceof HttpError || err instanceof CodecError ? errorMessage(err) : withoutPaths(errorMessage(err)) };
      if (err instanceof FunctionFailedError) {
        body.function = err.fn;
        body.reason = err instanceof FunctionTimeoutError ? 'timeout' : err.oom ? 'out of memory' : 'function failed';
      }
      if (err instanceof DeadlineError) { body.function = err.fn; body.reason = 'deadline'; }
      if (status === 413) {
        // The rest of an oversized upload is discarded unparsed for a moment (so that a client still writing
        // reads the 413 instead of a reset), then the connection is cut.
        res.once('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
      }
      // Saturated (429) or shutting down / waited too long (503): tell clients when to try again.
      if (status === 429 || status === 503) res.setHeader('retry-after', String((err instanceof SaturatedError && err.retryAfterS) || RETRY_AFTER_S));
      send(res, status, body);
    }
  }

  /** What the status page shows (GET /status.json). */
  status(): StatusSnapshot {
    return statusSnapshot(this.models.values(), {
      totals: (model, fn) => {
        const t = this.fnTotals(model, fn);
        const last = t.coldStartMs.length - 1;
        return {
          invocations: t.invocations, meanMs: t.invocations ? t.ms / t.invocations : 0, peakRssMB: t.peakRssMB,
          ...(last >= 0 ? { lastColdStart: { totalMs: t.coldStartMs[last]!, spawnMs: t.spawnMs[last]!, fetchMs: t.fetchMs[last]!, loadMs: t.loadMs[last]! } } : {}),
        };
      },
      apps: (model) => [...this.appSlo.values()].filter((a) => a.model === model),
    });
  }

  /** The body limit of one model's requests (the explicit option, else derived from its inputs at its max batch). */
  bodyLimit(model: ServedModel): number {
    return this.opts.maxBodyBytes ?? requestBodyLimit(atRangeTop(atMaxBatch(model.inputs, model.manifest.maxBatch), model.manifest.ranges));
  }

  private async infer(model: ServedModel, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const trace = new RequestTrace();
    const t0 = trace.t0;
    let status = 200;
    let deadline: number | undefined;
    let appLabel = '';
    this.inflight++;
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
        this.deadlineTotals(model.name).requests++;
        this.metrics.inc('mopar_deadline_requests_total', { model: model.name, app: appLabel });
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
        const reply = await batcher.submit(app, parsed.feeds, t0)
          .catch((e: unknown) => { throw e instanceof BatchInputError ? new HttpError(400, e.message) : e; });
        ({ result, outputs, batchSize } = reply);
        const ms = performance.now() - t0;
        this.metrics.observe('mopar_app_request_duration_seconds', { model: model.name, app: app! }, ms / 1000);
        this.metrics.inc('mopar_app_requests_total', { model: model.name, app: app! });
        if (ms > sloMs) this.metrics.inc('mopar_app_slo_misses_total', { model: model.name, app: app! });
        const k = `${model.name}/${app!}`;
        const slo = this.appSlo.get(k) ?? { model: model.name, app: app!, sloMs, requests: 0, misses: 0 };
        this.appSlo.set(k, slo);
        slo.requests++;
        if (ms > sloMs) slo.misses++;
      } else {
        result = await model.infer(parsed.feeds, gone.signal, { deadline });
        outputs = result.outputs;
        this.account(model.name, result);
      }
      if (deadline !== undefined) {
        const late = performance.now() > deadline;
        this.deadlineTotals(model.name)[late ? 'missed' : 'met']++;
        if (late) this.metrics.inc('mopar_deadline_misses_total', { model: model.name, app: appLabel });
      }
      if (gone.signal.aborted) { this.abandon(model.name).completed++; status = 499; return; }
      // The chain's phases come from its own measurements (the batch's, for a batched request).
      trace.skip();
      trace.addCalls(result.calls);
      trace.ms.dispatch += result.dispatchMs ?? 0;
      trace.ms.collect += result.collectMs ?? 0;
      const out = inferResponse(model.name, parsed.id, outputs, order, parsed.binaryOutputs);
      trace.mark('encode');
      const headers: Record<string, string | number> = { ...out.headers, 'content-length': out.body.length, 'x-mopar-duration-ms': result.ms.toFixed(3) };
      if (batchSize !== undefined) headers['x-mopar-batch-size'] = batchSize;
      // Functions of this request that waited for their instance's start (a cold start on its path).
      const cold = result.calls.filter((c) => c.cold).length;
      if (cold > 0) headers['x-mopar-cold-calls'] = cold;
      if (this.draining) headers.connection = 'close';
      if (req.headers['x-mopar-trace'] === '1') headers['x-mopar-trace'] = trace.text();
      res.writeHead(200, headers);
      res.end(out.body, () => this.traced(model.name, trace));
    } catch (err) {
      status = err instanceof ClientGoneError ? 499 : statusOf(err);
      if (err instanceof ClientGoneError) {
        this.abandon(model.name).cancelled++;
        // What ran before the cut ran for real (and a platform bills it).
        this.account(model.name, { outputs: {}, calls: (err.calls ?? []) as InferResult['calls'], edges: [], ms: 0 });
      }
      else if (err instanceof DeadlineError) {
        this.deadlineTotals(model.name).shed++;
        this.metrics.inc('mopar_requests_shed_total', { model: model.name, app: appLabel });
        this.account(model.name, { outputs: {}, calls: (err.calls ?? []) as InferResult['calls'], edges: [], ms: 0 });
      } else if (err instanceof FunctionFailedError) this.fnTotals(model.name, err.fn).errors++;
      else if (deadline !== undefined && err instanceof SaturatedError) {
        // Refused or timed out in a queue: not answered by its deadline either.
        this.deadlineTotals(model.name).missed++;
        this.metrics.inc('mopar_deadline_misses_total', { model: model.name, app: appLabel });
      }
      if (this.draining) res.setHeader('connection', 'close');
      throw err;
    } finally {
      res.off('close', onClose);
      this.metrics.inc('mopar_requests_total', { model: model.name, code: String(status) });
      if (status === 200) this.metrics.observe('mopar_request_duration_seconds', { model: model.name }, (performance.now() - t0) / 1000);
      if (--this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** The request was written: its last phase, then the phase histogram and `serve --trace`'s line. */
  private traced(model: string, trace: RequestTrace): void {
    trace.mark('write');
    for (const p of PHASES) this.metrics.observe('mopar_request_phase_seconds', { model, phase: p }, trace.ms[p] / 1000);
    if (this.opts.trace) log(`mopar serve: trace ${model} ${trace.text()}`);
  }

  private deadlineTotals(model: string): DeadlineTotals {
    let d = this.deadlines.get(model);
    if (!d) this.deadlines.set(model, (d = { requests: 0, met: 0, missed: 0, shed: 0 }));
    return d;
  }

  private abandon(model: string) {
    let a = this.abandoned.get(model);
    if (!a) this.abandoned.set(model, (a = { completed: 0, cancelled: 0 }));
    return a;
  }

  private account(model: string, r: InferResult): void {
    for (const c of r.calls) {
      const t = this.fnTotals(model, c.fn);
      const l = { model, function: c.fn };
      t.invocations++;
      if (c.cold) t.coldCalls++;
      t.ms += c.stats.hostMs;
      t.gbSeconds += c.billing.gbSeconds;
      t.vcpuSeconds += c.billing.vcpuSeconds;
      t.peakRssMB = Math.max(t.peakRssMB, c.stats.peakRssMB);
      this.metrics.inc('mopar_function_invocations_total', l);
      this.metrics.observe('mopar_function_duration_seconds', l, c.billing.billedMs / 1000);
      this.metrics.inc('mopar_function_billed_gb_seconds_total', l, c.billing.gbSeconds);
      this.metrics.inc('mopar_function_billed_vcpu_seconds_total', l, c.billing.vcpuSeconds);
    }
    for (const e of r.edges) {
      const k = `${model}/${e.tensor}`;
      const t = this.edgeTotals.get(k) ?? { transport: e.transport, codec: e.codec, count: 0, rawBytes: 0, wireBytes: 0, encodeMs: 0 };
      this.edgeTotals.set(k, t);
      t.count++;
      t.codec = e.codec;
      t.rawBytes += e.rawBytes;
      t.wireBytes += e.wireBytes;
      t.encodeMs += e.encodeMs;
      if (e.lossy) {
        t.lossy = e.lossy;
        t.maxAbsErr = Math.max(t.maxAbsErr ?? 0, e.maxAbsErr ?? 0);
        t.maxRelErr = Math.max(t.maxRelErr ?? 0, e.maxRelErr ?? 0);
      }
      this.metrics.inc('mopar_edge_bytes_total', { model, tensor: e.tensor, transport: e.transport }, e.wireBytes);
    }
  }

  /** Per-function accounting and per-edge hand-off costs of one model. */
  stats(name: string) {
    const model = this.models.get(name)!;
    const limits = this.opts.enforceLimits && cgroupsAvailable().cpu && cgroupsAvailable().memory;
    return {
      model: name,
      limitsEnforced: limits,
      // Requests whose client left: answered by nobody although computed, or cut before their next function.
      abandoned: { ...(this.abandoned.get(name) ?? { completed: 0, cancelled: 0 }) },
      // Requests with a deadline: answered in time, answered late (or refused), shed early (503).
      deadlines: { ...(this.deadlines.get(name) ?? { requests: 0, met: 0, missed: 0, shed: 0 }) },
      keepAlive: model.keepAlive.describe(),
      functions: model.manifest.functions.map((f) => {
        const t = this.fnTotals(name, f.name);
        return {
          name: f.name, group: f.group, memoryMB: f.memoryMB, vcpu: f.vcpu,
          instances: model.pools.get(f.name)!.instances.length,
          invocations: t.invocations, errors: t.errors, crashes: t.crashes, coldStarts: t.coldStarts, starts: { ...t.starts }, coldCalls: t.coldCalls,
          coldStartMs: t.coldStartMs, spawnMs: t.spawnMs, fetchMs: t.fetchMs, loadMs: t.loadMs, fetchedBytes: t.fetchBytes,
          meanMs: t.invocations ? t.ms / t.invocations : 0, peakRssMB: t.peakRssMB, gbSeconds: t.gbSeconds, vcpuSeconds: t.vcpuSeconds,
        };
      }),
      edges: [...this.edgeTotals.entries()].filter(([k]) => k.startsWith(`${name}/`)).map(([k, e]) => ({
        tensor: k.slice(name.length + 1), transport: e.transport, codec: e.codec, count: e.count,
        meanRawBytes: e.rawBytes / e.count, meanWireBytes: e.wireBytes / e.count, ratio: e.wireBytes ? e.rawBytes / e.wireBytes : null,
        meanEncodeMs: e.encodeMs / e.count,
        ...(e.lossy ? { lossy: e.lossy, maxAbsErr: e.maxAbsErr, maxRelErrOfRange: e.maxRelErr } : {}),
      })),
    };
  }

  /**
   * Graceful stop: refuse new connections and requests (503), let the requests in flight finish for up to
   * `drainMs`, then close() (instances stopped, segments removed). Resolves with how many were cut.
   */
  async shutdown(drainMs = this.opts.drainMs ?? 30_000): Promise<{ drained: number; cut: number }> {
    this.draining = true;
    const before = this.inflight;
    if (this.server?.listening) this.server.close();
    this.server?.closeIdleConnections();
    if (this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, drainMs); }),
      ]);
      clearTimeout(timer);
    }
    const cut = this.inflight;
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

function statusOf(err: unknown): number {
  return err instanceof HttpError || err instanceof CodecError ? err.status
    : err instanceof SaturatedError ? err.status
      : err instanceof FunctionTimeoutError ? 504
        : err instanceof FunctionFailedError ? 502
          : 500;
}

/** Absolute file paths in a message (an onnxruntime load error quotes the file) reduced to their last part. */
export function withoutPaths(message: string): string {
  return message.replace(/(?:[A-Za-z]:)?(?:[\\/][^\s'"`:,;()[\]{}\\/]+){2,}/g, (p) => basename(p.replace(/\\/g, '/')));
}

function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  const b = Buffer.from(text);
  res.writeHead(status, { 'content-type': type, 'content-length': b.length, 'cache-control': 'no-cache' });
  res.end(b);
}

/**
 * The path of a request target (RFC 9112 §3.2): origin-form ('/p?q') is a path, never a scheme-relative URL
 * ('//host:port/p'); absolute-form ('http://h/p') is parsed as a URL. Anything else, or unparsable: 400.
 */
function requestPath(target = '/'): string {
  let url: URL;
  try {
    url = new URL(target.startsWith('/') ? `http://x${target}` : target);
  } catch {
    throw new HttpError(400, `malformed request target ${JSON.stringify(clip(target))}`);
  }
  return url.pathname.replace(/\/+$/, '') || '/';
}

/** Request text quoted in an error, at most ~100 characters (a request line may be 16 KiB). */
function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

/** The answer to a CONNECT request, written on the raw socket (there is no ServerResponse for it). */
function refuseConnect(socket: Duplex): void {
  const body = JSON.stringify({ error: 'CONNECT not allowed' });
  socket.on('error', () => socket.destroy()); // the server no longer watches this socket: a reset must not throw
  socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** The one version every served model has. */
const MODEL_VERSION = '1';
/** Seconds a 429/503 asks the client to wait before retrying (about one queue timeout's worth of work). */
const RETRY_AFTER_S = 1;

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length });
  res.end(b);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) {
    req.resume();
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new HttpError(413, `request body exceeds the limit of ${max} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
