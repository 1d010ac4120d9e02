/**
 * One function instance: an OS process (host-main) that loads its slice once and serves invocations over IPC,
 * inside a cgroup with the plan's CPU quota and memory limit where cgroups are writable. A crash rejects every
 * invocation in flight with a FunctionFailedError naming the function (and "out of memory" when the memory
 * limit killed it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmdirSync } from 'node:fs';
import { hostEntry } from './host-entry.js';
import { leanMallocEnv, MoparError, cgroupsAvailable, createCgroup, spawnInCgroup, type Cgroup } from '../core/index.js';
import type { HostConfig, HostMessage, InvocationStats, InvokeMessage } from './host-protocol.js';
import type { OutputPlan, WireTensor } from './wire.js';

/** A function failed (crashed, was killed, ran out of memory, or its model raised): HTTP 502. */
export class FunctionFailedError extends MoparError {
  constructor(readonly fn: string, readonly reason: string, readonly oom = false) {
    super(`function '${fn}' ${reason}`);
    this.name = 'FunctionFailedError';
  }
}

/** An invocation ran past its timeout (its instance is killed, as a platform would): HTTP 504. */
export class FunctionTimeoutError extends FunctionFailedError {
  constructor(fn: string, readonly timeoutMs: number) {
    super(fn, `timed out after ${Math.round(timeoutMs)} ms`);
    this.name = 'FunctionTimeoutError';
  }
}

export interface InstanceLimits {
  /** Enforce the limits below with a cgroup (when available). */
  enforce: boolean;
  vcpu: number;
  memoryMB: number;
  /**
   * Start in the machine's spare CPU (cpu.shares BACKGROUND_SHARES until ready, then the default): on a platform a
   * scale-out or pre-warm start runs on its own hardware, while here it would take CPU from the instances serving
   * requests on the same cores (the workload bench's SLO misses followed its scale-out starts).
   */
  background?: boolean;
}

/** cpu.shares of a background start: it runs when the serving instances leave CPU idle (default weight 1024). */
export const BACKGROUND_SHARES = 2;
const DEFAULT_SHARES = 1024;

export interface InvokeResult {
  outputs: Record<string, WireTensor>; stats: InvocationStats;
  /** The IPC leg to the host: from the send to the host's receipt (ms, wall clocks of both processes). */
  ipc?: { sendMs: number };
}


let seq = 0;

export class FunctionInstance {
  readonly id = ++seq;
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  readonly startedAt = performance.now();
  /**
   * Spawn → session ready (the whole cold start), and its phases: the process start (spawn, Node and
   * onnxruntime init), fetching the weights from the object store (0 when read locally), session creation.
   */
  coldStartMs = 0;
  spawnMs = 0;
  fetchMs = 0;
  fetchBytes = 0;
  loadMs = 0;
  rssMB = 0;
  peakRssMB = 0;
  /** Invocations assigned to this instance (running or reserved while it starts). */
  active = 0;
  /** The session is loaded (the cold start is over). */
  isReady = false;
  lastUsed = performance.now();
  dead = false;
  exitReason?: string;
  /** Why the start failed (set when the instance died before it was ready). */
  startError?: FunctionFailedError;
  readonly limitsEnforced: boolean;
  private readonly cg?: Cgroup;
  private cgDirs: string[] = [];
  private readonly pending = new Map<number, { resolve: (r: InvokeResult) => void; reject: (e: Error) => void; sentAt: number }>();
  private nextId = 0;
  private readyReject!: (e: Error) => void;

  constructor(readonly fn: string, cfg: HostConfig, limits: InstanceLimits, private readonly onExit: (i: FunctionInstance) => void) {
    // The AWS SDK's notice about future Node versions would print once per host that fetches its weights.
    // MOPAR_GATEWAY_PID: the host's watch (host-watch.ts) must know its gateway even if it died before the host ran.
    const env = { ...process.env, ...leanMallocEnv(), MOPAR_HOST_CONFIG: JSON.stringify(cfg), MOPAR_GATEWAY_PID: String(process.pid), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const avail = limits.enforce ? cgroupsAvailable() : { cpu: false, memory: false };
    const opts = { env, serialization: 'advanced' as const, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };
    const entry = hostEntry();
    if (avail.cpu && avail.memory) {
      this.cg = createCgroup({ vcpu: limits.vcpu, memoryBytes: limits.memoryMB * 2 ** 20, ...(limits.background ? { cpuShares: BACKGROUND_SHARES } : {}) });
      this.cgDirs = Object.values(this.cg.dirs);
      this.proc = spawnInCgroup(this.cg, process.execPath, [...entry.execArgv, entry.script], opts);
    } else {
      this.proc = fork(entry.script, [], { ...opts, execArgv: entry.execArgv });
    }
    this.limitsEnforced = !!this.cg;
    let readyResolve!: () => void;
    this.ready = new Promise((res, rej) => { readyResolve = res; this.readyReject = rej; });
    this.ready.catch(() => {}); // observed by whoever awaits it
    this.proc.on('message', (m: HostMessage) => {
      if (m.type === 'ready') {
        this.coldStartMs = performance.now() - this.startedAt;
        this.loadMs = m.loadMs;
        this.fetchMs = m.fetchMs;
        this.fetchBytes = m.fetchBytes;
        this.spawnMs = Math.max(0, this.coldStartMs - m.fetchMs - m.loadMs);
        this.rssMB = m.rssMB;
        this.peakRssMB = m.peakRssMB;
        this.isReady = true;
        if (limits.background) {
          try { this.cg?.setCpuShares(DEFAULT_SHARES); } catch { /* the group is gone: the instance is exiting */ }
        }
        readyResolve();
      } else if (m.type === 'fatal') {
        this.exitReason = m.message;
        this.startError = new FunctionFailedError(fn, `could not start: ${m.message}`);
        this.readyReject(this.startError);
      } else if (m.type === 'result' || m.type === 'error') {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'error') p.reject(new FunctionFailedError(fn, `failed: ${m.message}`));
        else {
          this.rssMB = m.stats.rssMB;
          this.peakRssMB = Math.max(this.peakRssMB, m.stats.peakRssMB);
          p.resolve({ outputs: m.outputs, stats: m.stats, ...(m.stats.recvAt !== undefined ? { ipc: { sendMs: m.stats.recvAt - p.sentAt } } : {}) });
        }
      }
    });
    this.proc.on('error', (err) => this.die(`could not be started: ${err.message}`));
    this.proc.on('exit', (code, signal) => {
      const usage = this.cg?.usage();
      const oom = !!usage?.failcnt && signal === 'SIGKILL';
      this.die(oom ? `ran out of memory (limit ${limits.memoryMB} MB) and was killed`
        : signal ? `was killed by ${signal}` : `exited with code ${code}`, oom);
    });
  }

  private die(reason: string, oom = false): void {
    if (this.dead) return;
    this.dead = true;
    this.exitReason ??= reason;
    const err = new FunctionFailedError(this.fn, `instance ${this.id} ${reason}`, oom);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (!this.isReady) this.startError ??= err;
    this.readyReject(err); // a start that never finished (no-op when already settled)
    this.cg?.remove();
    // A signal handler elsewhere may have tried (and failed, EBUSY) to remove the group while we still ran.
    for (const d of this.cgDirs) { try { rmdirSync(d); } catch { /* removed already */ } }
    this.onExit(this);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /**
   * Runs one invocation. Past `timeoutMs` (counted from the hand-off, not the cold start) it rejects with a
   * FunctionTimeoutError and the instance is killed: a stopped or runaway host must not hold the next request.
   */
  async invoke(feeds: Record<string, WireTensor>, outputs: Record<string, OutputPlan>, timeoutMs = 0): Promise<InvokeResult> {
    await this.ready;
    if (this.dead) throw new FunctionFailedError(this.fn, `instance ${this.id} ${this.exitReason}`);
    const id = ++this.nextId;
    return new Promise((resolveResult, rejectResult) => {
      let timer: NodeJS.Timeout | undefined;
      const resolve = (r: InvokeResult) => { clearTimeout(timer); resolveResult(r); };
      const reject = (e: Error) => { clearTimeout(timer); rejectResult(e); };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          if (!this.pending.delete(id)) return;
          rejectResult(new FunctionTimeoutError(this.fn, timeoutMs));
          this.exitReason ??= `was killed after an invocation timed out (${Math.round(timeoutMs)} ms)`;
          this.proc.kill('SIGKILL');
        }, timeoutMs);
      }
      // Wall time (not performance.now(): each process has its own origin) so the host's receipt can be compared.
      this.pending.set(id, { resolve, reject, sentAt: performance.timeOrigin + performance.now() });
      const msg: InvokeMessage = { type: 'invoke', id, feeds, outputs };
      try {
        this.proc.send(msg, (err) => {
          if (err && this.pending.delete(id)) reject(new FunctionFailedError(this.fn, `instance ${this.id} could not be reached: ${err.message}`));
        });
      } catch (err) {
        this.pending.delete(id);
        reject(new FunctionFailedError(this.fn, `instance ${this.id} could not be reached: ${(err as Error).message}`));
      }
    });
  }

  /** Waits for the start; resolves false (never throws) when the instance failed to start. */
  async started(): Promise<boolean> {
    try {
      await this.ready;
      return !this.dead;
    } catch {
      return false;
    }
  }

  /** Stops the process and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) { this.die('was stopped'); return; }
    const gone = new Promise<void>((res) => this.proc.once('exit', () => res()));
    this.exitReason = 'was stopped';
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(t);
  }
}
