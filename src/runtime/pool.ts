/**
 * The instances of one function: scale out under concurrency (at most `maxInFlight` invocations per instance,
 * 1 like Lambda; at most `maxInstances`), keep idle instances warm for `keepWarmMs`, queue with a timeout when
 * all are busy, and refuse when the queue is full. A crashed instance is dropped; the next request gets a fresh one.
 */
import { MoparError } from '../core/index.js';
import type { HostConfig } from './host-protocol.js';
import { FunctionInstance, type InstanceLimits, type InvokeResult } from './instance.js';
import type { OutputPlan, WireTensor } from './wire.js';

export interface PoolOptions {
  maxInstances: number;
  maxInFlight: number;
  keepWarmMs: number;
  queueMax: number;
  queueTimeoutMs: number;
}

export const DEFAULT_POOL: PoolOptions = { maxInstances: 4, maxInFlight: 1, keepWarmMs: 10 * 60_000, queueMax: 64, queueTimeoutMs: 30_000 };

/** Too many requests waiting (HTTP 429) or waited too long (HTTP 503). */
export class SaturatedError extends MoparError {
  constructor(message: string, readonly status: 429 | 503) {
    super(message);
    this.name = 'SaturatedError';
  }
}

/** The client of a request went away before its call reached an instance: the call was dropped. */
export class ClientGoneError extends MoparError {
  /** The calls of the request that did run before it was cut (they were billed all the same). */
  calls?: unknown[];
  constructor(readonly fn: string) {
    super(`function '${fn}' was not started: the client disconnected`);
    this.name = 'ClientGoneError';
  }
}

interface Waiter { resolve: (i: FunctionInstance) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

export interface PoolEvents {
  coldStart?(fn: string, inst: FunctionInstance): void;
  /** A call got its instance after waiting `waitMs` (0 when one was free). */
  acquired?(fn: string, waitMs: number): void;
  crash?(fn: string, inst: FunctionInstance): void;
}

export class FunctionPool {
  readonly instances: FunctionInstance[] = [];
  private readonly queue: Waiter[] = [];
  private readonly idleTimers = new Map<FunctionInstance, NodeJS.Timeout>();
  private closed = false;

  /** `resolveFile` is asked at every start (the file to load may be a cached rewrite that must be re-made). */
  constructor(readonly name: string, private readonly cfg: HostConfig, private readonly limits: InstanceLimits,
    readonly opts: PoolOptions, private readonly events: PoolEvents = {}, private readonly resolveFile?: () => string) {}

  /**
   * Runs one invocation on some instance (starting one when needed). `signal` aborted while the call waits in
   * the queue drops it (its client is gone); once handed to an instance it runs to the end or to `timeoutMs`.
   */
  async invoke(feeds: Record<string, WireTensor>, outputs: Record<string, OutputPlan>, call: { signal?: AbortSignal; timeoutMs?: number; admitted?: boolean } = {}): Promise<InvokeResult> {
    const t0 = performance.now();
    const inst = await this.acquire(call.signal, call.admitted);
    this.events.acquired?.(this.name, performance.now() - t0);
    try {
      return await inst.invoke(feeds, outputs, call.timeoutMs);
    } finally {
      this.release(inst);
    }
  }

  /** Calls waiting for an instance. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Starts one instance if none is running or starting (pre-warming ahead of a request). */
  prewarm(): void {
    if (!this.closed && this.instances.length === 0) this.spawn();
  }

  /** Whether a new call would be refused now (429): every instance busy and the queue full. */
  saturated(): boolean {
    return !this.instances.some((i) => !i.dead && i.active < this.opts.maxInFlight)
      && this.instances.length >= this.opts.maxInstances && this.queue.length >= this.opts.queueMax;
  }

  /**
   * `admitted`: the call belongs to a request already past the chain's entry; it is queued even beyond
   * `queueMax` (refusing it would throw away the work done upstream; the entry's queue bounds how many there are).
   */
  private acquire(signal?: AbortSignal, admitted = false): Promise<FunctionInstance> {
    if (this.closed) return Promise.reject(new SaturatedError(`function '${this.name}' is shutting down`, 503));
    if (signal?.aborted) return Promise.reject(new ClientGoneError(this.name));
    const free = this.instances.find((i) => !i.dead && i.active < this.opts.maxInFlight);
    const inst = free ?? (this.instances.length < this.opts.maxInstances ? this.spawn() : undefined);
    if (inst) {
      this.take(inst);
      return Promise.resolve(inst);
    }
    if (!admitted && this.queue.length >= this.opts.queueMax) {
      return Promise.reject(new SaturatedError(`function '${this.name}' is saturated: ${this.instances.length} instances busy and ${this.queue.length} requests queued`, 429));
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        clearTimeout(w.timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => { leave(); reject(new ClientGoneError(this.name)); };
      const w: Waiter = {
        resolve: (i) => { signal?.removeEventListener('abort', onAbort); resolve(i); },
        reject: (e) => { leave(); reject(e); },
        timer: setTimeout(() => {
          leave();
          reject(new SaturatedError(`function '${this.name}': no instance became free within ${this.opts.queueTimeoutMs} ms`, 503));
        }, this.opts.queueTimeoutMs),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(w);
    });
  }

  private take(inst: FunctionInstance): void {
    inst.active++;
    const t = this.idleTimers.get(inst);
    if (t) { clearTimeout(t); this.idleTimers.delete(inst); }
  }

  private release(inst: FunctionInstance): void {
    inst.active--;
    inst.lastUsed = performance.now();
    if (inst.dead) return;
    const w = this.queue.shift();
    if (w) {
      clearTimeout(w.timer);
      this.take(inst);
      w.resolve(inst);
      return;
    }
    if (inst.active === 0 && !this.closed) {
      this.idleTimers.set(inst, setTimeout(() => {
        this.idleTimers.delete(inst);
        if (inst.active === 0) void inst.stop();
      }, this.opts.keepWarmMs).unref());
    }
  }

  private spawn(): FunctionInstance {
    const cfg = this.resolveFile ? { ...this.cfg, file: this.resolveFile() } : this.cfg;
    const inst = new FunctionInstance(this.name, cfg, this.limits, (dead) => this.onExit(dead));
    this.instances.push(inst);
    void inst.started().then((ok) => { if (ok) this.events.coldStart?.(this.name, inst); });
    return inst;
  }

  private onExit(inst: FunctionInstance): void {
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
    const t = this.idleTimers.get(inst);
    if (t) { clearTimeout(t); this.idleTimers.delete(inst); }
    if (!this.closed && inst.exitReason !== 'was stopped') this.events.crash?.(this.name, inst);
    // Waiters queued behind a crashed instance get a fresh one.
    while (!this.closed && this.queue.length && this.instances.length < this.opts.maxInstances) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      const fresh = this.spawn();
      this.take(fresh);
      w.resolve(fresh);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) { clearTimeout(w.timer); w.reject(new SaturatedError(`function '${this.name}' is shutting down`, 503)); }
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    await Promise.all([...this.instances].map((i) => i.stop()));
  }
}
