/**
 * onnxruntime-node sessions with explicit threading and memory options, and plain tensors in and out.
 */
import './ort-env.js';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { MoparError, errorMessage } from '../core/index.js';
import { numel, ORT_TYPES, type DType } from './dtype.js';

export { ort };

export interface SessionOptions {
  /** Intra-op threads (default 1: one function = one vCPU unless planned otherwise). */
  threads?: number;
  interOpThreads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's CPU arena: faster repeated runs, but holds peak activation memory between runs. */
  memArena?: boolean;
  memPattern?: boolean;
  /** Write onnxruntime's JSON profile with this file prefix. */
  profilePrefix?: string;
  /** Extra session config entries (e.g. 'session.disable_prepacking': '1'). */
  config?: Record<string, string>;
  logSeverity?: 0 | 1 | 2 | 3 | 4;
}

/**
 * Session config every function host serves with (runtime/function-core.ts FUNCTION_SESSION_CONFIG is this), and
 * so what the profiler measures with: idle intra-op threads do not spin (spinning burns a CPU quota), and no
 * weight pre-packing (its second copy is memory the planner does not count). The profiler measured with ort's
 * defaults until issue 27, so big single hosts served slower than predicted (ViT-B/16 282 vs 229 ms p50).
 */
export const SERVED_SESSION_CONFIG: Readonly<Record<string, string>> = { 'session.intra_op.allow_spinning': '0', 'session.disable_prepacking': '1' };

/**
 * onnxruntime's `session.intra_op_thread_affinities` for a served session of `threads` intra-op threads: each
 * worker (threads − 1 of them; the calling thread is not onnxruntime's to pin) on its own allowed CPU, starting at
 * `slot` (so instances on one machine spread), ids 1-based as onnxruntime reads them. Unpinned, the scheduler often
 * woke the worker onto the CPU of the thread that woke it, and the two took turns there while the other core idled:
 * a 2-thread DeiT-S layer (scratch/an/sched.ts, 2026-12-08) ran 5.7 ms p50 with 1–5 ms of each thread's time
 * waiting on a run queue, 3.4–4.0 ms pinned with none. Undefined for one thread or fewer allowed CPUs than threads.
 */
export function workerAffinity(threads: number, slot = process.pid): string | undefined {
  if (!(threads > 1)) return undefined;
  const allowed = allowedCpus();
  if (allowed.length < threads) return undefined;
  const ids: number[] = [];
  for (let i = 1; i < threads; i++) ids.push(allowed[(slot + i) % allowed.length]! + 1);
  return ids.join(';');
}

/** The CPUs this process may run on (0-based): Cpus_allowed_list of /proc/self/status, else all of os.cpus(). */
export function allowedCpus(): number[] {
  try {
    const line = /Cpus_allowed_list:\s*([0-9,-]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (line) {
      const out: number[] = [];
      for (const part of line.split(',')) {
        const [a, b] = part.split('-').map(Number);
        for (let c = a!; c <= (b ?? a!); c++) out.push(c);
      }
      if (out.length > 0) return out;
    }
  } catch { /* not Linux: every CPU os.cpus() lists */ }
  return cpus().map((_, i) => i);
}

/** SERVED_SESSION_CONFIG for `threads`, its workers pinned (workerAffinity) unless `config` pins them itself. */
export function servedSessionConfig(threads: number, config: Readonly<Record<string, string>> = {}, slot?: number): Record<string, string> {
  const out: Record<string, string> = { ...SERVED_SESSION_CONFIG, ...config };
  const pin = out['session.intra_op_thread_affinities'] === undefined ? workerAffinity(threads, slot) : undefined;
  if (pin) out['session.intra_op_thread_affinities'] = pin;
  return out;
}

export async function openSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: opts.interOpThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    enableCpuMemArena: opts.memArena ?? true,
    enableMemPattern: opts.memPattern ?? true,
    logSeverityLevel: opts.logSeverity ?? 3,
  };
  if (opts.profilePrefix) {
    options.enableProfiling = true;
    options.profileFilePrefix = opts.profilePrefix;
  }
  if (opts.config) (options as { extra?: unknown }).extra = { session: {}, ...nestSessionConfig(opts.config) };
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (err) {
    throw new MoparError(`onnxruntime could not load the model: ${oneLine(errorMessage(err))}`);
  }
}

// 'session.disable_prepacking' → { session: { disable_prepacking: '1' } }, the shape ort-node expects in `extra`.
export function nestSessionConfig(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(flat)) {
    const dot = k.indexOf('.');
    const head = k.slice(0, dot);
    (out[head] ??= {})[k.slice(dot + 1)] = v;
  }
  return out;
}

export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** A tensor as plain data: what crosses stage and process boundaries. */
export interface PlainTensor {
  dtype: DType;
  dims: number[];
  data: ort.Tensor['data'];
}

export function toOrt(t: PlainTensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new MoparError(`tensor type ${t.dtype} cannot be fed to onnxruntime-node`);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims);
}

export function fromOrt(t: ort.Tensor): PlainTensor {
  return { dtype: t.type as DType, dims: [...t.dims], data: t.data };
}

export type Feeds = Record<string, PlainTensor>;

/** Runs a session; names the input on a shape/type mismatch. */
export async function runSession(session: ort.InferenceSession, feeds: Feeds, fetch?: readonly string[]): Promise<Feeds> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const t = feeds[name];
    if (!t) throw new MoparError(`missing input '${name}'`);
    if (t.dtype !== 'string' && numel(t.dims) !== (t.data as ArrayLike<unknown>).length) {
      throw new MoparError(`input '${name}': ${(t.data as ArrayLike<unknown>).length} values do not fill shape [${t.dims}]`);
    }
    ortFeeds[name] = toOrt(t);
  }
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = fetch ? await session.run(ortFeeds, fetch as string[]) : await session.run(ortFeeds);
  } catch (err) {
    throw new MoparError(`onnxruntime failed to run: ${oneLine(errorMessage(err))}`);
  }
  const res: Feeds = {};
  for (const [k, v] of Object.entries(out)) res[k] = fromOrt(v as ort.Tensor);
  return res;
}
