/**
 * A served model: the manifest's dataflow over function pools. A function runs as soon as all its inputs
 * exist, so the sub-slices of a group fan out in parallel and join at the next slice. Each edge is handed off
 * as its manifest says (inline, compressed or shared memory); shared-memory segments are named here and removed
 * once their last consumer finished, and on every failure path.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MoparError, runDataflow } from '../core/index.js';
import type { DType, Feeds } from '../graph/index.js';
import { SHARED_FUNCTION_PREFIX, type Manifest, type ManifestFunction } from '../partition/index.js';
import { predictionBatchScale } from './max-batch.js';
import { FunctionPool, DEFAULT_POOL, type PoolEvents, type PoolOptions } from './pool.js';
import { poolKey, type PoolRegistry } from './pool-registry.js';
import { ClientGoneError, DeadlineError, type SaturatedError } from './admission.js';
import { KeepAlivePolicy, type KeepAliveSpec } from './keep-alive.js';
import { removeSegment, SHM_DIR, SpareSegments } from './segments.js';
import { copyBytes, supportedDtype } from '../codec/index.js';
import { type CodecTrial, CodecChooser, decodeTensor, encodeTensor, type OutputPlan, type Transport, type WireTensor } from './wire.js';
import { constantWires, entryFunctions } from './constants.js';
import type { HostConfig, InvocationStats } from './host-protocol.js';
import { billing, type Billing } from './accounting.js';
import { leanModelPath } from './lean-load.js';
import type { Lossy } from './lossy.js';
import { s3Store, type S3StoreOptions } from './object-store.js';

export interface TensorMeta { name: string; dtype: DType; shape: (number | string)[] }

export interface RuntimeOptions {
  pool: PoolOptions;
  /** Enforce each function's CPU quota and memory limit with cgroups where possible. */
  enforceLimits: boolean;
  memArena: boolean;
  prepacking: boolean;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Load big function files through a cached external-data rewrite (memory-mapped weights). */
  externalData: boolean;
  sessionConfig?: Record<string, string>;
  /** Opt-in lossy encoding of float32 tensors on 'compressed' edges (the error is reported per edge). */
  lossy?: Lossy;
  /** Override every edge's transport (benchmarks, comparisons). */
  transport?: Transport;
  linkMBps: number;
  /**
   * Start a function only when none is running, even where a group could run in parallel. For measuring on a
   * machine with fewer cores than a plan has parallel functions: each duration then reflects the function's own
   * CPU quota, as on a platform that gives every instance its own CPU, instead of the contention for shared cores.
   */
  oneAtATime?: boolean;
  /**
   * Per-invocation timeout (ms) of every function; 0 or unset: from each function's predicted duration with a
   * margin (see invokeTimeoutMs).
   */
  invokeTimeoutMs?: number;
  /**
   * Function hosts fetch their slice from this object store at every cold start (`serve --weights s3`), as a
   * platform's functions do, instead of reading the local file. `stage` is where the gateway uploads the slices
   * before serving (not part of any cold start); `store` is what the hosts read through.
   */
  weights?: WeightsStore;
  /** Keep-alive / pre-warm policy of every function (default: fixed, `pool.keepWarmMs`). */
  keepAlive?: KeepAliveSpec;
  /**
   * A request entering the chain starts every function of it that has no instance at once (default true);
   * false: a function starts when its input arrives.
   */
  warmUp?: boolean;
}

export interface WeightsStore { store: S3StoreOptions; stage: S3StoreOptions; bucket: string }

/** Floor and margin of the timeout derived from a plan's prediction (a shared local CPU runs slower than planned). */
const TIMEOUT_FLOOR_MS = 10_000;
const TIMEOUT_MARGIN = 10;
/** Without a prediction (a plain ONNX file): a platform-like default. */
const TIMEOUT_DEFAULT_MS = 60_000;

/** The timeout of one function's invocations: the flag when given, else 10× the predicted duration, at least 10 s. */
export function invokeTimeoutMs(f: Pick<ManifestFunction, 'predictedMs'>, flagMs?: number): number {
  if (flagMs && flagMs > 0) return flagMs;
  const p = typeof f.predictedMs === 'number' && Number.isFinite(f.predictedMs) ? f.predictedMs : 0;
  return p > 0 ? Math.max(TIMEOUT_FLOOR_MS, p * TIMEOUT_MARGIN) : TIMEOUT_DEFAULT_MS;
}

/** Request inputs and model outputs at least this big cross between gateway and host through /dev/shm, not the IPC channel. */
export const SHM_MIN_BYTES = 64 * 1024;

export const DEFAULT_RUNTIME: RuntimeOptions = {
  // onnxruntime's CPU arena on, as the profiler measures and the memory model assumes (activations held at twice
  // their live peak): without it MobileNetV2 (dynamic batch) ran 3.3× slower than profiled (44 vs 13.5 ms per call,
  // fresh mmap'd pages on every run). Weight pre-packing stays off: a GEMM weight that another op also reads (GPT-2's
  // tied embedding and LM head) keeps its original beside the packed copy (+148 MB, bench/prepack-memory.ts), which
  // the memory model does not count — with both on, a GPT-2 slice sized at 279 MB was killed at its limit. The price
  // is slower MatMuls than profiled (profiler: ort defaults): ViT-B/16 in one host at 1 thread 282 vs 229 ms p50
  // (FUNCTION_SESSION_CONFIG says the same to deployed functions).
  pool: DEFAULT_POOL, enforceLimits: true, memArena: true, prepacking: false, linkMBps: 100, externalData: true,
  // 'all' is what the profiler measures and the planner predicts with, and it is ~20 % faster on CNNs; it adds
  // NCHWc-reordered copies of conv weights (ResNet-50: +120 MB peak, see bench/runtime-memory.ts). CPU time
  // dominates every platform's bill, so speed wins; `--optimization extended` serves memory-bound cases.
  optimization: 'all',
};

/** Per-invocation record of one function; `startMs` is when it was called, from the request's start. */
export interface FunctionCall {
  fn: string; startMs: number; ms: number; stats: InvocationStats; billing: Billing;
  /** Of `ms`, the wait for an instance (queued behind other calls, or its start). */
  waitMs: number;
  /** The call waited for its instance's start (spawn + load). */
  cold?: boolean;
  /** The IPC leg to the host (the request trace; the way back is `ms − waitMs − hostMs − sendMs`). */
  ipc?: { sendMs: number };
}

export interface EdgeCost {
  tensor: string; transport: Transport; codec?: string; rawBytes: number; wireBytes: number; encodeMs: number; trials?: CodecTrial[];
  lossy?: Lossy; maxAbsErr?: number; maxRelErr?: number;
}

export interface InferResult {
  outputs: Feeds; calls: FunctionCall[]; edges: EdgeCost[]; ms: number;
  /** The request trace's gateway-side phases: encoding the request's inputs for the first functions, decoding the outputs. */
  dispatchMs?: number; collectMs?: number;
}

/** Per request: its absolute deadline (performance.now() ms), if it has one; a batch is shed by its latest (shedDeadline). */
export interface InferOptions { deadline?: number; shedDeadline?: number }

export class ServedModel {
  readonly pools = new Map<string, FunctionPool>();
  readonly inputs: TensorMeta[];
  readonly outputs: TensorMeta[];
  private readonly transport = new Map<string, Transport>();
  /** Consumers of each tensor inside the chain (for segment removal). */
  private readonly consumers = new Map<string, number>();
  private readonly constants: Record<string, WireTensor>;
  /** The application's keep-alive policy (one idle-time histogram per served model). */
  readonly keepAlive: KeepAlivePolicy;
  private inflight = 0;
  private idleSince?: number;
  /** Measured mean duration per function, for functions without a predicted one. */
  private readonly measuredMs = new Map<string, number>();

  /** `registry`: where pools are shared with the other models served beside this one (pool-registry.ts). */
  constructor(readonly name: string, readonly manifest: Manifest, readonly dir: string, readonly opts: RuntimeOptions, events: PoolEvents = {},
    private readonly registry?: PoolRegistry) {
    const meta = (n: string): TensorMeta => {
      const t = manifest.tensors?.[n];
      if (!t) throw new MoparError(`manifest of '${name}': no dtype/shape for tensor '${n}'`);
      if (!supportedDtype(t.dtype)) throw new MoparError(`model '${name}': tensor '${n}' has type ${t.dtype}, which the runtime cannot carry`);
      return { name: n, dtype: t.dtype, shape: t.shape };
    };
    this.inputs = manifest.inputs.map(meta);
    this.outputs = manifest.outputs.map(meta);
    this.constants = constantWires(manifest); // encoded once per load: every run starts with them
    for (const e of manifest.edges ?? []) this.transport.set(e.tensor, opts.transport ?? e.transport);
    for (const f of manifest.functions) for (const i of f.inputs) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    this.keepAlive = new KeepAlivePolicy(opts.keepAlive ?? { kind: 'fixed', ms: opts.pool.keepWarmMs });
    try {
    for (const f of manifest.functions) {
      // A plain ONNX file has no planned size: give it room for its weights plus the runtime (not enforced as tight).
      const memoryMB = f.memoryMB || 0;
      const file = join(dir, f.file);
      const local = opts.externalData ? leanModelPath(file) : file;
      let fetch: HostConfig['fetch'];
      if (opts.weights) {
        // The slice's objects: the ONNX file and its external data (lean rewrite's, or the build's), as the file names them.
        const files = [local, `${local}.data`, ...(f.data && local === file ? [join(dir, f.data.file)] : [])].filter((p) => existsSync(p));
        const keys = files.map((p) => `${name}/${f.name}/${basename(p)}`);
        this.staged.push(...files.map((p, k) => ({ path: p, key: keys[k]! })));
        fetch = { store: opts.weights.store, bucket: opts.weights.bucket, keys, main: basename(local) };
      }
      const cfg: HostConfig = {
        name: f.name, file: local, inputs: f.inputs, outputs: f.outputs, threads: f.threads || 1,
        memArena: opts.memArena, prepacking: opts.prepacking, linkMBps: opts.linkMBps,
        optimization: opts.optimization, config: opts.sessionConfig, ...(fetch ? { fetch } : {}),
      };
      const limits = { enforce: opts.enforceLimits && memoryMB > 0, vcpu: f.vcpu || 1, memoryMB };
      const make = () => Object.assign(new FunctionPool(f.name, cfg, limits, opts.pool, events, opts.externalData && !fetch ? () => leanModelPath(file) : undefined), { keepAlive: () => this.keepAlive.decide() });
      // A fleet's shared function under the same limits and configuration: one pool (issue 30); nothing else is merged.
      const shared = registry && f.name.startsWith(SHARED_FUNCTION_PREFIX);
      this.pools.set(f.name, shared ? registry.acquire(poolKey({ sha256: f.sha256, ...cfg, name: undefined, ...limits, pool: opts.pool, externalData: opts.externalData }), name, make) : make());
    }
    } catch (err) { void registry?.release(name).catch(() => {}); throw err; } // failed part-way: hold no shared pool
  }

  /** Local files and the object keys they are staged under (opts.weights). */
  private readonly staged: Array<{ path: string; key: string }> = [];

  /** Uploads every function's files to the weights store (before serving: not part of a cold start). */
  async stageWeights(): Promise<{ objects: number; bytes: number }> {
    const w = this.opts.weights;
    if (!w) return { objects: 0, bytes: 0 };
    const store = s3Store(w.stage);
    let bytes = 0;
    for (const s of this.staged) bytes += await store.upload(w.bucket, s.key, s.path);
    return { objects: this.staged.length, bytes };
  }

  /**
   * Predicted time from the start of `fn` to the end of the chain: its own plus the longest path after it. A
   * function's is its `predictedMs` × `batchScale` (predictionBatchScale), else its mean measured here (0 at first).
   */
  remainingMs(fn: string, batchScale = 1): number {
    const memo = new Map<string, number>();
    const own = (f: ManifestFunction) => (f.predictedMs > 0 ? f.predictedMs * batchScale : this.measuredMs.get(f.name) ?? 0);
    const walk = (f: ManifestFunction): number => {
      const hit = memo.get(f.name);
      if (hit !== undefined) return hit;
      let after = 0;
      for (const g of this.successors(f)) after = Math.max(after, walk(g));
      const v = own(f) + after;
      memo.set(f.name, v);
      return v;
    };
    const f = this.manifest.functions.find((x) => x.name === fn);
    return f ? walk(f) : 0;
  }

  private successors(f: ManifestFunction): ManifestFunction[] {
    return this.manifest.functions.filter((g) => g !== f && g.inputs.some((i) => f.outputs.includes(i)));
  }

  /** The served models holding function `fn`'s pool, first the one whose ledger counts its instances' starts. */
  holdersOf(fn: string): string[] { const p = this.pools.get(fn); const h = p && this.registry ? this.registry.holders(p) : []; return h.length ? h : [this.name]; }

  /** Starts one instance of every function (a warm start for the first request). */
  prewarm(): void {
    for (const p of this.pools.values()) p.prewarm();
  }

  /** Waits for the instances being started; returns why those that failed did. */
  async startFailures(): Promise<string[]> {
    const all = [...this.pools.values()].flatMap((p) => p.instances);
    const ok = await Promise.all(all.map((i) => i.started()));
    return all.filter((_, k) => !ok[k]).map((i) => `function '${i.fn}' could not start: ${i.exitReason ?? 'unknown reason'}`);
  }

  private outputPlan(tensor: string): OutputPlan {
    // A model output only the gateway reads comes back through /dev/shm when big: IPC took GPT-2's 25.7 MB of logits at ~18 ms/MB.
    if (!this.consumers.has(tensor)) {
      return SHM_DIR === '/dev/shm' ? { enc: 'shm', ...this.spares.take(tensor), minBytes: SHM_MIN_BYTES } : { enc: 'raw' };
    }
    // A model output that a function also reads comes back whole (its segment would go with its last reader).
    if (this.manifest.outputs.includes(tensor)) return { enc: 'raw' };
    const t = this.transport.get(tensor) ?? 'inline';
    if (t === 'shm' || t === 'object-store') return { enc: 'shm', ...this.spares.take(tensor) };
    if (t === 'compressed') return this.opts.lossy ? { enc: 'z', lossy: this.opts.lossy } : { enc: 'z' };
    // Inline: on one machine, a segment when big, as a request's input (IPC took ~18 ms/MB, requestInputPlan).
    return SHM_DIR === '/dev/shm' ? { enc: 'shm', ...this.spares.take(tensor), minBytes: SHM_MIN_BYTES } : { enc: 'raw' };
  }

  /**
   * How a request's own input reaches its first functions. Big raw inputs go through a shared-memory segment:
   * Node's IPC channel moved them at ~18 ms/MB (0.6 MB: 11 ms, 4.8 MB: 58 ms, p50 of a bare fork round trip), work
   * done by the receiving host under its CPU quota (8× slower at 0.125 vCPU), while the planner leaves the
   * request's transfer out as the same for every plan. Hand-offs between functions too, unless compressed.
   */
  private requestInputPlan(tensor: string, bytes: number): OutputPlan {
    const plan = this.outputPlan(tensor);
    return plan.enc === 'raw' && bytes >= SHM_MIN_BYTES && SHM_DIR === '/dev/shm' ? { enc: 'shm', ...this.spares.take(tensor) } : plan;
  }

  private readonly chooser = new CodecChooser();
  /** Segments of finished requests, written into again by the next (segments.ts says why); tests tell them from leaks. */
  readonly spares = new SpareSegments();

  /** Where a request enters the chain (and may be refused, 429): entryFunctions. */
  private get entry(): Set<string> { return (this.entryCache ??= entryFunctions(this.manifest)); }
  private entryCache?: Set<string>;

  /** A new request would be refused at the chain's entry right now (checked before its body is read). */
  saturated(): boolean {
    return this.refusal() !== undefined;
  }

  /** Why a new request would be refused at the chain's entry right now (429 queue full, 503 queue past its wait bound). */
  refusal(): SaturatedError | undefined {
    for (const f of this.entry) {
      const refused = this.pools.get(f)?.refusal();
      if (refused) return refused;
    }
    return undefined;
  }

  /**
   * Runs the chain on already-validated inputs. Once `signal` is aborted (the client left) no further function
   * of the chain starts and queued calls are dropped; the request then fails with a ClientGoneError.
   */
  async infer(feeds: Feeds, signal?: AbortSignal, opts: InferOptions = {}): Promise<InferResult> {
    const segments = new Set<string>();
    this.inFlightSegments.add(segments);
    // Idle time of the application (no request in flight → this one): what the histogram policy learns from.
    if (this.inflight++ === 0 && this.idleSince !== undefined) this.keepAlive.recordIdle(performance.now() - this.idleSince);
    try {
      return await this.run(feeds, segments, signal, opts);
    } finally {
      // Every failure path included: no segment outlives its request.
      for (const s of segments) removeSegment(s);
      this.inFlightSegments.delete(segments);
      if (--this.inflight === 0) this.idleSince = performance.now();
    }
  }

  private async run(feeds: Feeds, segments: Set<string>, signal: AbortSignal | undefined, opts: InferOptions): Promise<InferResult> {
    const t0 = performance.now();
    const inputs: Record<string, WireTensor> = {};
    const edges: EdgeCost[] = [];
    for (const [k, t] of Object.entries(feeds)) {
      const plan = this.requestInputPlan(k, Array.isArray(t.data) ? 0 : t.data.byteLength);
      if (plan.enc === 'shm') segments.add(plan.path);
      const { wire, stats } = encodeTensor(k, t, plan, this.chooser);
      // Structured clone sends a view's whole buffer (here: the request body): send exactly the bytes.
      if (wire.enc !== 'shm' && wire.data.byteLength !== wire.data.buffer.byteLength) wire.data = copyBytes(wire.data);
      inputs[k] = wire;
      edges.push({ tensor: k, transport: this.transport.get(k) ?? 'inline', codec: stats.codec, rawBytes: stats.rawBytes, wireBytes: stats.wireBytes, encodeMs: stats.encodeMs });
    }
    const dispatchMs = performance.now() - t0;
    // Archipelago-style: a request entering the chain starts every function of it that has no instance at once,
    // so downstream instances load while upstream ones compute; each is held until the request reached it.
    const holds = new Map<string, () => void>();
    if (this.opts.warmUp !== false) for (const [name, p] of this.pools) holds.set(name, p.warmFor());
    try {
      return { ...await this.runChain(inputs, edges, segments, signal, opts, holds, t0), dispatchMs };
    } finally {
      for (const release of holds.values()) release();
    }
  }

  private async runChain(inputs: Record<string, WireTensor>, edges: EdgeCost[], segments: Set<string>, signal: AbortSignal | undefined,
    opts: InferOptions, holds: Map<string, () => void>, t0: number): Promise<InferResult> {
    const calls: FunctionCall[] = [];
    const batchScale = predictionBatchScale(this.manifest, inputs);
    const call = async (f: ManifestFunction, feeds: Record<string, WireTensor>): Promise<Record<string, WireTensor>> => {
      const plans: Record<string, OutputPlan> = {};
      for (const o of f.outputs) {
        const p = this.outputPlan(o);
        plans[o] = p;
        if (p.enc === 'shm') segments.add(p.path);
      }
      const s = performance.now();
      let deadline: { deadline: number; latestStart: number; neededMs: number } | undefined;
      if (opts.deadline !== undefined) {
        const neededMs = this.remainingMs(f.name, batchScale);
        deadline = { deadline: opts.deadline, latestStart: (opts.shedDeadline ?? opts.deadline) - neededMs, neededMs };
      }
      let r;
      try {
        r = await this.pools.get(f.name)!.invoke(feeds, plans, { signal, timeoutMs: invokeTimeoutMs(f, this.opts.invokeTimeoutMs), admitted: !this.entry.has(f.name), ...deadline });
      } finally {
        holds.get(f.name)?.();
      }
      const ms = performance.now() - s;
      if (!r.cold) this.measuredMs.set(f.name, this.measuredMs.has(f.name) ? 0.8 * this.measuredMs.get(f.name)! + 0.2 * r.stats.hostMs : r.stats.hostMs);
      calls.push({ fn: f.name, startMs: s - t0, ms, waitMs: r.waitMs, stats: r.stats, billing: billing(r.stats.hostMs, f.memoryMB, f.vcpu), ...(r.cold ? { cold: true } : {}), ...(r.ipc ? { ipc: r.ipc } : {}) });
      for (const [k, e] of Object.entries(r.stats.encode)) {
        if (this.consumers.has(k)) {
          edges.push({ tensor: k, transport: this.transport.get(k) ?? 'inline', codec: e.codec, rawBytes: e.rawBytes, wireBytes: e.wireBytes, encodeMs: e.encodeMs, trials: e.trials, lossy: e.lossy, maxAbsErr: e.maxAbsErr, maxRelErr: e.maxRelErr });
        }
      }
      return r.outputs;
    };
    let wires: Record<string, WireTensor>;
    try {
      wires = await runDataflow(this.manifest, inputs, call, {
        oneAtATime: this.opts.oneAtATime, constants: this.constants,
        label: `model '${this.name}'`,
        signal,
        abortError: (next) => new ClientGoneError(next ?? this.name),
        // A segment goes once its last reader is done (every other path: infer's finally).
        release: (tensor, w) => { if (w.enc === 'shm') { this.spares.give(tensor, w.path); segments.delete(w.path); } },
      });
    } catch (err) {
      if (err instanceof ClientGoneError || err instanceof DeadlineError) err.calls = calls;
      throw err;
    }
    const c0 = performance.now();
    const outputs: Feeds = {};
    for (const [o, w] of Object.entries(wires)) {
      outputs[o] = decodeTensor(w);
      // Only a segment the dataflow has not released already (a model input that is also an output is released there).
      if (w.enc === 'shm' && segments.delete(w.path)) this.spares.give(o, w.path);
    }
    const end = performance.now();
    return { outputs, calls, edges, ms: end - t0, collectMs: end - c0 };
  }

  /**
   * The segments of requests in flight, per request. Closing removes exactly these: other gateways in the same
   * process keep theirs (a gateway used to remove every segment of its process, which cut the in-flight requests
   * of a second gateway serving beside it: "shared-memory segment … is gone").
   */
  private readonly inFlightSegments = new Set<Set<string>>();

  async close(): Promise<void> {
    // Own pools close here; shared ones when their last holder lets go.
    await Promise.all([...[...this.pools].filter(([fn]) => !this.registry || !fn.startsWith(SHARED_FUNCTION_PREFIX)).map(([, p]) => p.close()), this.registry?.release(this.name)]);
    for (const segments of this.inFlightSegments) for (const s of segments) removeSegment(s);
    this.spares.clear();
  }
}
