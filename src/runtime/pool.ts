/**
 * The instances of one function: scale out under concurrency (at most `maxInFlight` invocations per instance,
 * 1 like Lambda; at most `maxInstances`), keep idle instances loaded as the keep-alive policy says (fixed
 * `keepWarmMs`, or unload and pre-warm later: keep-alive.ts), queue with a timeout when all are busy
 * (earliest deadline first; calls without a deadline after those with one, in arrival order), shed a queued call
 * once it can no longer meet its deadline, and refuse when the queue is full. A crashed instance is dropped; the
 * next request gets a fresh one.
 *
 * Scaling out is work-conserving: a call that finds every instance busy starts a new one but waits in the queue,
 * and runs on whichever instance is free first, the new one or one finishing its call. Binding the call to the
 * instance it started made it pay the whole cold start (seconds under a fractional CPU quota) even when a warm
 * instance freed a few milliseconds later; that put batched groups at p99 of seconds for a 5 ms model. Under
 * `scaleOut: 'patient'` the start is deferred while the queue's expected wait is shorter than a start
 * (admission.ts scaleOutDelayMs), and made if the call is still waiting by then.
 *
 * A warm minimum (`minInstances`, Cloud Run min-instances; the plan's groups[].minInstances) keeps that many
 * instances started once `holdMinimum` is called: never reclaimed by the keep-alive, restarted when one dies.
 */
import { AUTO_QUEUE, ClientGoneError, DeadlineError, SaturatedError, autoQueueBound, saturationError, scaleOutDelayMs } from './admission.js';
import type { HostConfig } from './host-protocol.js';
import { FunctionFailedError, FunctionInstance, type InstanceLimits, type InvokeResult } from './instance.js';
import type { KeepAliveDecision } from './keep-alive.js';
import type { OutputPlan, WireTensor } from './wire.js';
import type { CallOptions, PoolEvents, SpawnReason } from './pool-types.js';
import { BusyShares } from './utilisation.js';

export type { CallOptions, PoolEvents, SpawnReason } from './pool-types.js';

export interface PoolOptions {
  maxInstances: number;
  maxInFlight: number;
  keepWarmMs: number;
  /**
   * Calls that may wait for an instance: a number (429 above it), or 'auto' — as many as the function's measured
   * throughput serves within `queueTimeoutMs` (autoQueueBound), 503 + Retry-After past that, 429 past AUTO_QUEUE.cap.
   */
  queueMax: number | 'auto';
  queueTimeoutMs: number;
  /** Instances kept started whatever the traffic (a warm minimum; default 0), at most `maxInstances`. */
  minInstances?: number;
  /** When every instance is busy: start one at once (`eager`, default, as Lambda), or `patient` (scaleOutDelayMs). */
  scaleOut?: 'eager' | 'patient';
  /** Concurrent instances (maxInFlight > 1): also start one when their busy share reaches this (utilisation.ts). */
  scaleAtUtilisation?: number;
}

export const DEFAULT_POOL: PoolOptions = { maxInstances: 4, maxInFlight: 1, keepWarmMs: 10 * 60_000, queueMax: 'auto', queueTimeoutMs: 30_000, minInstances: 0 };

/** Not dead and not being stopped (a stopped instance stays listed until its process exits). */
const usable = (i: FunctionInstance) => !i.dead && i.exitReason === undefined;

interface Waiter {
  /** `cold`: the instance comes straight from its start (the call waited for it). */
  resolve: (i: FunctionInstance, cold: boolean) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Absolute deadline (performance.now() ms); Infinity without one. */
  deadline: number;
  seq: number;
}

export class FunctionPool {
  readonly instances: FunctionInstance[] = [];
  private readonly queue: Waiter[] = [];
  private readonly idleTimers = new Map<FunctionInstance, NodeJS.Timeout>();
  private prewarmTimer?: NodeJS.Timeout;
  private scaleTimer?: NodeJS.Timeout;
  /** Requests that warmed this function and have not reached or given up on it: its idle instances stay. */
  private reserved = 0;
  private seq = 0;
  private closed = false;
  private readonly busy = new BusyShares();
  /** The warm minimum asked for (setMinInstances; else the option), and whether it is held yet (holdMinimum). */
  private minimum?: number;
  private holding = false;
  private minTimer?: NodeJS.Timeout;
  /**
   * Mean time of a warm invocation here (hand-off to answer, ms; an exponential moving average), undefined before
   * the first: the throughput that sizes the automatic queue. Tests may set it.
   */
  serviceMs: number | undefined;
  /** What happens to an idle instance; default: stay loaded for `keepWarmMs`. */
  keepAlive: () => KeepAliveDecision = () => ({ prewarmAfterMs: 0, keepAliveMs: this.opts.keepWarmMs, source: 'fixed' });

  /** `resolveFile` is asked at every start (the file to load may be a cached rewrite that must be re-made). */
  constructor(readonly name: string, private readonly cfg: HostConfig, private readonly limits: InstanceLimits,
    readonly opts: PoolOptions, private readonly events: PoolEvents = {}, private readonly resolveFile?: () => string) {}

  /** The warm minimum in force: as asked, bounded by `maxInstances`. */
  get minInstances(): number { return Math.min(this.minimum ?? this.opts.minInstances ?? 0, this.opts.maxInstances); }

  /** Sets the warm minimum (the plan's, or `serve --min-instances`); instances it lacks start now if it is held. */
  setMinInstances(n: number): void { this.minimum = Math.max(0, Math.floor(n)); this.ensureMinimum(); }

  /** Keeps `minInstances` started from now on (serve's start; not awaited: the missing ones start in the background). */
  holdMinimum(): void { this.holding = true; this.ensureMinimum(); }
  private ensureMinimum(): void {
    if (this.closed || !this.holding) return;
    while (this.instances.filter(usable).length < this.minInstances && this.instances.length < this.opts.maxInstances) this.spawn('policy');
    // Idle ones kept for an earlier, higher minimum get their keep-alive again.
    for (const i of this.instances) if (usable(i) && i.active === 0 && !this.idleTimers.has(i)) this.armIdle(i);
  }

  /**
   * Runs one invocation on some instance (starting one when needed). `signal` aborted while the call waits in
   * the queue drops it (its client is gone); once handed to an instance it runs to the end or to `timeoutMs`.
   * `cold`: the call waited for an instance's start; `waitMs`: from the call to its hand-off (queue and start).
   */
  async invoke(feeds: Record<string, WireTensor>, outputs: Record<string, OutputPlan>, call: CallOptions = {}): Promise<InvokeResult & { cold: boolean; waitMs: number }> {
    const t0 = performance.now();
    const { inst, cold } = await this.acquire(call);
    const t1 = performance.now();
    const waitMs = t1 - t0;
    this.events.acquired?.(this.name, waitMs);
    try {
      const r = await inst.invoke(feeds, outputs, call.timeoutMs);
      // A cold call's time includes the instance's start: not a measure of how fast calls are served.
      if (!cold) { const ms = performance.now() - t1; this.serviceMs = this.serviceMs === undefined ? ms : this.serviceMs + (ms - this.serviceMs) * 0.1; }
      return { ...r, cold, waitMs };
    } finally {
      this.release(inst);
    }
  }

  /** Calls waiting for an instance. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Starts one instance if none is running or starting (`serve` pre-warming before the first request). */
  prewarm(reason: SpawnReason = 'serve'): void {
    if (this.closed || this.instances.some(usable)) return;
    this.spawn(reason); // idles from when it is ready (onReady)
  }

  /**
   * A request entered the chain: start an instance now if this function has none, and keep idle instances
   * loaded until the request reached this function or gave up. Returns the release of that hold.
   */
  warmFor(): () => void {
    if (this.closed) return () => {};
    if (!this.instances.some(usable)) this.spawn('request');
    this.reserved++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.reserved > 0 || this.closed) return;
      for (const i of this.instances) if (i.active === 0 && !i.dead && !this.idleTimers.has(i)) this.armIdle(i);
    };
  }

  /** Whether a new call would be refused now: every instance busy and the queue full. */
  saturated(): boolean {
    return this.refusal() !== undefined;
  }

  /**
   * Calls served per second at most, from the measured invocation time (every instance the pool may run busy);
   * undefined before a warm call was measured.
   */
  throughputPerS(): number | undefined {
    return this.serviceMs === undefined ? undefined : this.opts.maxInstances * this.opts.maxInFlight * 1000 / Math.max(this.serviceMs, 0.01);
  }

  /** How many calls may wait now (`queueMax`, or the automatic bound). */
  queueBound(): number {
    return this.opts.queueMax === 'auto' ? autoQueueBound(this.throughputPerS(), this.opts.queueTimeoutMs) : this.opts.queueMax;
  }

  /**
   * Why a new call (not yet admitted) would be refused now (saturationError), or undefined: every instance busy,
   * none starting that it could count on, none more allowed, and the queue at its bound.
   */
  refusal(): SaturatedError | undefined {
    if (this.instances.some((i) => usable(i) && i.isReady && i.active < this.opts.maxInFlight)) return undefined;
    if (this.freeSlots(false) - this.queue.length > 0 || this.instances.length < this.opts.maxInstances) return undefined;
    const bound = this.queueBound();
    if (this.queue.length < bound) return undefined;
    return saturationError(this.name, this.instances.length, this.queue.length, this.throughputPerS(), this.opts, bound >= AUTO_QUEUE.cap);
  }

  private scaleOutDelayMs(): number {
    const live = this.instances.filter(usable);
    const starting = live.filter((i) => !i.isReady);
    return scaleOutDelayMs(this.opts.scaleOut, {
      serviceMs: this.serviceMs, lastStartMs: this.lastColdStartMs, queued: this.queue.length,
      readySlots: (live.length - starting.length) * this.opts.maxInFlight, startingSlots: starting.length * this.opts.maxInFlight,
      startElapsedMs: starting.length ? performance.now() - Math.min(...starting.map((i) => i.startedAt)) : 0,
    });
  }

  /** A deferred scale-out: if calls still wait when it fires (and no start is under way for them), start one. */
  private scaleOutLater(ms: number): void {
    if (this.scaleTimer) return;
    this.scaleTimer = setTimeout(() => {
      this.scaleTimer = undefined;
      if (!this.closed && this.queue.length > this.freeSlots(false) && this.instances.length < this.opts.maxInstances) this.spawn('demand');
    }, ms).unref();
  }

  /**
   * `admitted`: the call belongs to a request already past the chain's entry; it is queued even beyond
   * `queueMax` (refusing it would throw away the work done upstream; the entry's queue bounds how many there are).
   */
  private acquire(call: CallOptions): Promise<{ inst: FunctionInstance; cold: boolean }> {
    const { signal, admitted = false } = call;
    if (this.closed) return Promise.reject(new SaturatedError(`function '${this.name}' is shutting down`, 503));
    if (signal?.aborted) return Promise.reject(new ClientGoneError(this.name));
    const latestStart = call.latestStart ?? Infinity;
    const now = performance.now();
    if (now > latestStart) return Promise.reject(new DeadlineError(this.name, (call.deadline ?? now) - now, call.neededMs ?? 0));
    // The least busy ready instance with a free slot (with one call per instance: any free one).
    let free: FunctionInstance | undefined;
    for (const i of this.instances) if (usable(i) && i.isReady && i.active < this.opts.maxInFlight && (!free || i.active < free.active)) free = i;
    if (free) {
      this.take(free);
      if (this.opts.scaleAtUtilisation !== undefined && this.instances.length < this.opts.maxInstances && this.instances.every((i) => usable(i) && i.isReady)
        && this.busy.mean(this.instances, now) >= this.opts.scaleAtUtilisation) this.spawn('demand');
      return Promise.resolve({ inst: free, cold: false });
    }
    // Starts already under way that no queued call is counting on yet: this call waits for one of them.
    const spare = this.freeSlots(false) - this.queue.length;
    const deferMs = spare <= 0 && this.instances.length < this.opts.maxInstances ? this.scaleOutDelayMs() : 0;
    const scale = spare <= 0 && this.instances.length < this.opts.maxInstances && deferMs === 0;
    if (!scale && spare <= 0 && !admitted) {
      const refused = this.refusal();
      if (refused) return Promise.reject(refused);
    }
    if (!scale && spare <= 0 && latestStart < Infinity && this.serviceMs !== undefined) {
      // The calls queued ahead of this one (earliest deadline first) take at least this long on the instances
      // there are: a call that cannot start in time even so is shed now rather than after waiting for nothing.
      const ahead = this.queue.filter((w) => w.deadline <= (call.deadline ?? Infinity)).length;
      const slots = this.instances.filter(usable).length * this.opts.maxInFlight;
      const waitMs = slots > 0 ? ahead * this.serviceMs / slots : 0;
      if (now + waitMs > latestStart) return Promise.reject(new DeadlineError(this.name, (call.deadline ?? now) - now, (call.neededMs ?? 0) + waitMs));
    }
    // A call that starts (or counts on) an instance start waits as long as that start takes: no queue timeout.
    const waitsForStart = scale || spare > 0;
    const promise = new Promise<{ inst: FunctionInstance; cold: boolean }>((resolve, reject) => {
      const leave = () => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        clearTimeout(w.timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => { leave(); reject(new ClientGoneError(this.name)); };
      // Whichever comes first: the queue timeout, or the moment the request can no longer meet its deadline.
      const shedInMs = latestStart - now;
      const shed = shedInMs < this.opts.queueTimeoutMs || (waitsForStart && shedInMs < Infinity);
      const w: Waiter = {
        resolve: (i, cold) => { signal?.removeEventListener('abort', onAbort); resolve({ inst: i, cold }); },
        reject: (e) => { leave(); reject(e); },
        timer: shed || !waitsForStart ? setTimeout(() => {
          leave();
          const t = performance.now();
          reject(shed ? new DeadlineError(this.name, (call.deadline ?? t) - t, call.neededMs ?? 0)
            : new SaturatedError(`function '${this.name}': no instance became free within ${this.opts.queueTimeoutMs} ms`, 503));
        }, shed ? Math.max(0, shedInMs) : this.opts.queueTimeoutMs) : undefined,
        deadline: call.deadline ?? Infinity,
        seq: this.seq++,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Earliest deadline first; equal deadlines (and no deadline, Infinity) keep arrival order.
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1]!.deadline > w.deadline) at--;
      this.queue.splice(at, 0, w);
    });
    if (scale) this.spawn('demand');
    else if (deferMs > 0) this.scaleOutLater(deferMs);
    return promise;
  }

  /** Free call slots on usable instances that are ready (`ready` true) or still starting (false: calls they take once ready). */
  private freeSlots(ready: boolean): number {
    return this.instances.reduce((n, i) => n + (usable(i) && i.isReady === ready ? Math.max(0, this.opts.maxInFlight - i.active) : 0), 0);
  }

  /** An instance finished its start: it takes queued calls first (they waited for it), else it idles. */
  private onReady(inst: FunctionInstance): void {
    if (this.closed || !usable(inst)) return;
    while (inst.active < this.opts.maxInFlight && this.queue.length) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      this.take(inst);
      w.resolve(inst, true);
    }
    if (inst.active === 0 && !this.idleTimers.has(inst)) this.armIdle(inst);
  }

  private take(inst: FunctionInstance): void {
    if (inst.active++ === 0) this.busy.set(inst, true);
    const t = this.idleTimers.get(inst);
    if (t) { clearTimeout(t); this.idleTimers.delete(inst); }
  }

  private release(inst: FunctionInstance): void {
    if (--inst.active === 0) this.busy.set(inst, false);
    inst.lastUsed = performance.now();
    if (inst.dead) return;
    const w = this.queue.shift();
    if (w) {
      clearTimeout(w.timer);
      this.take(inst);
      w.resolve(inst, false);
      return;
    }
    if (inst.active === 0 && !this.closed) this.armIdle(inst);
  }

  /**
   * An idle instance: as the keep-alive policy decides, stay loaded for a while, or unload now and pre-warm one
   * instance so that it is loaded when the next invocation is expected (started ahead by the last cold start's
   * duration); it then stays loaded for the policy's window, counted from when it is ready. When the pre-warm
   * would have to start at once anyway, the instance just stays loaded through the gap.
   */
  private armIdle(inst: FunctionInstance, decision = this.keepAlive()): void {
    if (this.reserved > 0) return; // a request on its way will use it (warmFor's release arms it)
    // Still starting: its keep-alive counts from when it is ready (onReady arms it). Armed now, a request shed
    // while the instance loads would have it stopped mid-start, and every later request found it cold again.
    if (!inst.isReady) return;
    // Within the warm minimum: stays loaded, no keep-alive (an instance above it that idles later is reclaimed).
    if (this.instances.filter(usable).length <= this.minInstances) return;
    let keepMs = decision.keepAliveMs;
    if (decision.prewarmAfterMs > 0) {
      const startInMs = decision.prewarmAfterMs - this.lastColdStartMs;
      if (startInMs <= 0) keepMs += decision.prewarmAfterMs;
      else {
        void inst.stop();
        if (this.instances.some((i) => i !== inst && !i.dead && i.active > 0)) return; // still busy: a later release decides
        clearTimeout(this.prewarmTimer);
        this.prewarmTimer = setTimeout(() => {
          this.prewarmTimer = undefined;
          if (this.closed || this.instances.some((i) => usable(i) && i !== inst)) return;
          const fresh = this.spawn('policy');
          void fresh.started().then((ok) => {
            if (ok && fresh.active === 0 && !this.idleTimers.has(fresh)) this.armIdle(fresh, { ...decision, prewarmAfterMs: 0 });
          });
        }, startInMs).unref();
        return;
      }
    }
    const old = this.idleTimers.get(inst);
    if (old) clearTimeout(old);
    this.idleTimers.set(inst, setTimeout(() => {
      this.idleTimers.delete(inst);
      if (inst.active === 0 && this.reserved === 0 && this.instances.filter(usable).length > this.minInstances) void inst.stop();
    }, keepMs).unref());
  }

  /** The most recent instance start (spawn → ready) of this function, ms; 0 before the first. */
  private lastColdStartMs = 0;

  private spawn(reason: SpawnReason): FunctionInstance {
    const cfg = this.resolveFile ? { ...this.cfg, file: this.resolveFile() } : this.cfg;
    // Scale-out and pre-warm starts yield the CPU to instances serving requests (InstanceLimits.background).
    const background = reason === 'demand' || reason === 'policy';
    const inst = new FunctionInstance(this.name, cfg, { ...this.limits, background }, (dead) => this.onExit(dead));
    this.instances.push(inst);
    this.events.spawned?.(this.name, inst, reason);
    void inst.started().then((ok) => {
      if (!ok) return;
      this.lastColdStartMs = inst.coldStartMs;
      this.events.coldStart?.(this.name, inst);
      this.onReady(inst);
    });
    return inst;
  }

  private onExit(inst: FunctionInstance): void {
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
    const t = this.idleTimers.get(inst);
    if (t) { clearTimeout(t); this.idleTimers.delete(inst); }
    if (!this.closed && inst.exitReason !== 'was stopped') this.events.crash?.(this.name, inst);
    if (this.closed) return;
    // A start that failed: the queued call that counted on it gets the reason (a retry would fail the same way).
    if (!inst.isReady && inst.exitReason !== 'was stopped' && this.queue.length > this.freeSlots(false) + this.freeSlots(true)) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      w.reject(inst.startError ?? new FunctionFailedError(this.name, `instance ${inst.id} ${inst.exitReason ?? 'exited'}`));
    }
    // Queued calls left without a start to wait for (their instance crashed) get fresh ones.
    while (this.queue.length > this.freeSlots(false) && this.instances.length < this.opts.maxInstances) this.spawn('demand');
    // The warm minimum: a dead instance is replaced at once, a failed start after a second (no tight restart loop).
    if (inst.isReady) this.ensureMinimum();
    else if (this.minInstances > 0) { clearTimeout(this.minTimer); this.minTimer = setTimeout(() => this.ensureMinimum(), 1000).unref(); }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.prewarmTimer);
    clearTimeout(this.minTimer);
    clearTimeout(this.scaleTimer);
    for (const w of this.queue.splice(0)) { clearTimeout(w.timer); w.reject(new SaturatedError(`function '${this.name}' is shutting down`, 503)); }
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    await Promise.all([...this.instances].map((i) => i.stop()));
  }
}
