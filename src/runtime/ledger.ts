/**
 * The gateway's ledger: running totals per function, per hand-off edge, per model (deadlines, abandoned
 * requests) and per application (SLO), and the Prometheus metrics they feed. One place writes both, so
 * /v2/models/NAME/stats, the status page and /metrics cannot disagree; a request's walk reports to it by event
 * (carried a deadline, answered, shed, ...) instead of naming metrics.
 */
import { cgroupsAvailable, log } from '../core/index.js';
import { Metrics } from './metrics.js';
import { PHASES, type RequestTrace } from './trace.js';
import type { InferResult, ServedModel } from './model.js';
import type { FunctionInstance } from './instance.js';
import type { PoolEvents, SpawnReason } from './pool.js';
import type { StatusSources } from './status.js';

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
interface AppSlo { model: string; app: string; sloMs: number; requests: number; misses: number }

function defineMetrics(m: Metrics): void {
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
  m.define('mopar_function_min_instances', 'gauge', 'Warm minimum: instances kept started whatever the traffic (serve --min-instances, or the batching plan\'s groups[].minInstances).');
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
  m.define('mopar_function_instance_starts_total', 'counter', 'Instances started, by reason: demand (a call found none free), request (warm-up of a cold chain), policy (keep-alive pre-warm, warm minimum), serve (start of serve).');
}

export class Ledger implements StatusSources {
  readonly metrics = new Metrics();
  private readonly fns = new Map<string, FnTotals>();
  private readonly edgeTotals = new Map<string, EdgeTotals>();
  /** Per model: requests whose client left — finished anyway (work wasted) or cut short (functions not started). */
  private readonly abandoned = new Map<string, { completed: number; cancelled: number }>();
  /** Per model and application with an SLO: answered requests and those later than the SLO (status page). */
  private readonly appSlo = new Map<string, AppSlo>();
  private readonly deadlines = new Map<string, DeadlineTotals>();

  /** `models`: the served models, read when /metrics is scraped (instances per function). */
  constructor(models: () => Iterable<ServedModel>) {
    defineMetrics(this.metrics);
    // A pool several models share is listed once, under the model that counts its starts.
    const fnLabels = () => [...models()].flatMap((m) => [...m.pools].filter(([fn]) => m.holdersOf(fn)[0] === m.name).map(([fn, p]) => [{ model: m.name, function: fn }, p] as const));
    this.metrics.gauge('mopar_function_instances', () => fnLabels().map(([l, p]) => [l, p.instances.length]));
    this.metrics.gauge('mopar_function_min_instances', () => fnLabels().map(([l, p]) => [l, p.minInstances]));
    this.metrics.gauge('mopar_function_peak_rss_bytes', () => fnLabels().map(([l]) => [l, (this.fns.get(`${l.model}/${l.function}`)?.peakRssMB ?? 0) * 2 ** 20]));
  }

  private fnTotals(model: string, fn: string): FnTotals {
    const k = `${model}/${fn}`;
    let t = this.fns.get(k);
    if (!t) {
      t = { invocations: 0, errors: 0, coldStarts: 0, crashes: 0, ms: 0, gbSeconds: 0, vcpuSeconds: 0, peakRssMB: 0, coldStartMs: [], spawnMs: [], fetchMs: [], loadMs: [], fetchBytes: 0, starts: { demand: 0, request: 0, policy: 0, serve: 0 }, coldCalls: 0 };
      this.fns.set(k, t);
    }
    return t;
  }

  private deadlineTotals(model: string): DeadlineTotals {
    let d = this.deadlines.get(model);
    if (!d) this.deadlines.set(model, (d = { requests: 0, met: 0, missed: 0, shed: 0 }));
    return d;
  }

  /** The instance events of one served model's pools (ServedModel's hooks). */
  modelHooks(n: string, onSpawn: (fn: string, inst: FunctionInstance, reason: SpawnReason) => void): PoolEvents {
    return {
      acquired: (fn: string, waitMs: number) => this.metrics.observe('mopar_function_queue_wait_seconds', { model: n, function: fn }, waitMs / 1000),
      spawned: (fn: string, inst: FunctionInstance, reason: SpawnReason) => {
        this.fnTotals(n, fn).starts[reason]++;
        this.metrics.inc('mopar_function_instance_starts_total', { model: n, function: fn, reason });
        onSpawn(fn, inst, reason);
      },
      coldStart: (fn: string, inst: FunctionInstance) => {
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
      crash: (fn: string, inst: FunctionInstance) => {
        this.fnTotals(n, fn).crashes++;
        this.metrics.inc('mopar_function_crashes_total', { model: n, function: fn });
        log(`mopar serve: ${n}/${fn}: instance ${inst.id} ${inst.exitReason}; it will be replaced`);
      },
    };
  }

  /** A dispatched batch (Batcher's onBatch): its size, and its calls, or the function that failed it. */
  batch(model: string, group: string, size: number, result?: InferResult, failedFn?: string): void {
    this.metrics.observe('mopar_batch_size', { model, group }, size);
    if (result) this.account(model, result);
    else if (failedFn !== undefined) this.fnTotals(model, failedFn).errors++;
  }

  /** A function failed a request (its errors). */
  failed(model: string, fn: string): void {
    this.fnTotals(model, fn).errors++;
  }

  /** A request carried a deadline. */
  deadlineCarried(model: string, app: string): void {
    this.deadlineTotals(model).requests++;
    this.metrics.inc('mopar_deadline_requests_total', { model, app });
  }

  /** A request with a deadline ended: answered in time, or late (answered late, refused or timed out in a queue). */
  deadlineEnded(model: string, app: string, late: boolean): void {
    this.deadlineTotals(model)[late ? 'missed' : 'met']++;
    if (late) this.metrics.inc('mopar_deadline_misses_total', { model, app });
  }

  /** A request shed before its deadline; what ran before the cut ran for real (and a platform bills it). */
  shed(model: string, app: string, calls: unknown[] | undefined): void {
    this.deadlineTotals(model).shed++;
    this.metrics.inc('mopar_requests_shed_total', { model, app });
    this.account(model, { outputs: {}, calls: (calls ?? []) as InferResult['calls'], edges: [], ms: 0 });
  }

  /** A request whose client left: it finished anyway, or was cut (what ran before the cut is billed). */
  abandon(model: string, how: 'completed' | 'cancelled', calls?: unknown[]): void {
    let a = this.abandoned.get(model);
    if (!a) this.abandoned.set(model, (a = { completed: 0, cancelled: 0 }));
    a[how]++;
    if (how === 'cancelled') this.account(model, { outputs: {}, calls: (calls ?? []) as InferResult['calls'], edges: [], ms: 0 });
  }

  /** A batched request of an application with an SLO answered after `ms`. */
  appAnswered(model: string, app: string, sloMs: number, ms: number): void {
    this.metrics.observe('mopar_app_request_duration_seconds', { model, app }, ms / 1000);
    this.metrics.inc('mopar_app_requests_total', { model, app });
    if (ms > sloMs) this.metrics.inc('mopar_app_slo_misses_total', { model, app });
    const k = `${model}/${app}`;
    const slo = this.appSlo.get(k) ?? { model, app, sloMs, requests: 0, misses: 0 };
    this.appSlo.set(k, slo);
    slo.requests++;
    if (ms > sloMs) slo.misses++;
  }

  /** An inference request ended with `status` after `ms`. */
  request(model: string, status: number, ms: number): void {
    this.metrics.inc('mopar_requests_total', { model, code: String(status) });
    if (status === 200) this.metrics.observe('mopar_request_duration_seconds', { model }, ms / 1000);
  }

  /** An answered request's phases. */
  phases(model: string, trace: RequestTrace): void {
    for (const p of PHASES) this.metrics.observe('mopar_request_phase_seconds', { model, phase: p }, trace.ms[p] / 1000);
  }

  /** The calls and hand-offs of one run of a model's chain. */
  account(model: string, r: InferResult): void {
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

  /** Per-function accounting and per-edge hand-off costs of one model (/v2/models/NAME/stats). */
  stats(model: ServedModel, enforceLimits: boolean) {
    const name = model.name;
    const limits = enforceLimits && cgroupsAvailable().cpu && cgroupsAvailable().memory;
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
        // A pool several models share (issue 30): its instances' starts and crashes are counted under the first.
        const holders = model.holdersOf(f.name);
        return {
          name: f.name, group: f.group, memoryMB: f.memoryMB, vcpu: f.vcpu, ...(holders.length > 1 ? { sharedBy: holders } : {}),
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

  /** What the status page shows of a function's totals. */
  totals(model: string, fn: string) {
    const t = this.fnTotals(model, fn);
    const last = t.coldStartMs.length - 1;
    return {
      invocations: t.invocations, meanMs: t.invocations ? t.ms / t.invocations : 0, peakRssMB: t.peakRssMB,
      ...(last >= 0 ? { lastColdStart: { totalMs: t.coldStartMs[last]!, spawnMs: t.spawnMs[last]!, fetchMs: t.fetchMs[last]!, loadMs: t.loadMs[last]! } } : {}),
    };
  }

  /** The applications with an SLO of one model (status page). */
  apps(model: string): AppSlo[] {
    return [...this.appSlo.values()].filter((a) => a.model === model);
  }
}
