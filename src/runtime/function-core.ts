/**
 * The function-host core: one slice loaded once, invoked many times. Independent of how it is invoked — the
 * embedded runtime's host process, the OpenFaaS handler and the Lambda handler all wrap this.
 */
import { openSession, runSession, servedSessionConfig, SERVED_SESSION_CONFIG, type Feeds, type SessionOptions, type ort } from '../graph/lean.js';
import { MoparError } from '../core/index.js';

export interface FunctionCoreOptions extends SessionOptions {
  /** Tensor names the function reads and writes (from the manifest), checked on every call. */
  inputs?: readonly string[];
  outputs?: readonly string[];
}

export interface FunctionCore {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Milliseconds spent creating the onnxruntime session (the model part of a cold start). */
  readonly loadMs: number;
  invoke(feeds: Feeds): Promise<Feeds>;
  close(): Promise<void>;
}

/**
 * Session config every function host uses, embedded or deployed. Idle intra-op threads spin by default; under a
 * CPU quota that spinning burns the function's own quota (measured: ResNet-50 in 3 slices at 1.75–2 vCPU, p50
 * 1048 ms spinning vs 707 ms not). No weight pre-packing: its second copy of GEMM weights is memory the planner's
 * memory model does not count (runtime/model.ts DEFAULT_RUNTIME). Defined in graph/runner.ts so the profiler
 * measures with the same config.
 */
export const FUNCTION_SESSION_CONFIG: Readonly<Record<string, string>> = SERVED_SESSION_CONFIG;

export async function createFunctionCore(modelPath: string, opts: FunctionCoreOptions = {}): Promise<FunctionCore> {
  const t0 = performance.now();
  // Workers pinned apart from each other (graph/runner.ts workerAffinity), as the profiler measures them.
  const session: ort.InferenceSession = await openSession(modelPath, { ...opts, config: servedSessionConfig(opts.threads ?? 1, opts.config) });
  const loadMs = performance.now() - t0;
  if (opts.inputs && [...opts.inputs].sort().join('\0') !== [...session.inputNames].sort().join('\0')) {
    throw new MoparError(`function file ${modelPath} has inputs [${session.inputNames}] but the manifest says [${opts.inputs}]`);
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    loadMs,
    invoke: (feeds) => runSession(session, feeds),
    close: () => session.release(),
  };
}
