/**
 * onnxruntime-node sessions with explicit threading and memory options, and plain tensors in and out.
 */
import './ort-env.js';
import * as ort from 'onnxruntime-node';
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
