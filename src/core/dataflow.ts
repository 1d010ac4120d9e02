/**
 * The one dataflow scheduler for a manifest's functions (verify's in-process pipeline, the embedded runtime and
 * the deployed gateway all run through it): a function starts as soon as all its inputs exist, so the
 * sub-slices of a group and independent branches run concurrently. It knows nothing of how a function is
 * called or what a tensor is (`T`: onnxruntime tensors, wire tensors, encoded bodies), so it lives in core with
 * no dependencies and bundles into a deployed gateway as is.
 */
import { MoparError } from './errors.js';

export interface DataflowFunction {
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

export interface DataflowGraph<F extends DataflowFunction> {
  /** Model inputs (given) and outputs (returned). */
  inputs: readonly string[];
  outputs: readonly string[];
  functions: readonly F[];
}

export type DataflowCall<F, T> = (fn: F, feeds: Record<string, T>) => Promise<Record<string, T>>;

export interface DataflowOptions<T> {
  /**
   * Start a function only when none is running (measuring on fewer cores than a plan has parallel functions).
   */
  oneAtATime?: boolean;
  /** Called once every consumer of a tensor has finished with it (frees shared-memory segments, say). */
  release?: (tensor: string, value: T) => void;
  /** The error for a missing model input (default: a MoparError); a server answers it as a client error. */
  missingInput?: (name: string) => Error;
  /**
   * Once aborted (the client left) no further function starts; after the running ones end the run rejects with
   * `abortError(the first function not started)`, or else the signal's reason.
   */
  signal?: AbortSignal;
  abortError?: (notStarted: string | undefined) => Error;
  /** Prefix of the scheduler's own error messages, e.g. `model 'resnet'`. */
  label?: string;
  /**
   * Tensors that exist from the start of every run without being model inputs (a manifest's `constants`, built
   * once per model load): functions read them like any tensor; they are never released, since the next run reads
   * them again.
   */
  constants?: Readonly<Record<string, T>>;
}

/**
 * Runs `graph` on `inputs`, calling `call` for each function once its inputs exist; resolves to the model
 * outputs. On the first failure no further function starts; the run waits for those already running (so
 * nothing is left computing behind the caller's back) and rejects with that first error.
 */
export async function runDataflow<F extends DataflowFunction, T>(
  graph: DataflowGraph<F>, inputs: Readonly<Record<string, T>>, call: DataflowCall<F, T>, opts: DataflowOptions<T> = {},
): Promise<Record<string, T>> {
  const prefix = opts.label ? `${opts.label}: ` : '';
  const available = new Map<string, T>();
  const constants = new Set<string>();
  for (const [name, v] of Object.entries(opts.constants ?? {})) {
    // A name that is also a model input would be fed twice (the manifest reader refuses it too).
    if (graph.inputs.includes(name)) throw new MoparError(`${prefix}constant '${name}' is also a model input (broken manifest)`);
    constants.add(name);
    available.set(name, v);
  }
  for (const name of graph.inputs) {
    const v = inputs[name];
    if (v === undefined || v === null) throw opts.missingInput?.(name) ?? new MoparError(`${prefix}missing model input '${name}'`);
    available.set(name, v);
  }
  // Consumers left per tensor, so a tensor is released (and dropped here) after its last reader.
  const consumersLeft = new Map<string, number>();
  for (const f of graph.functions) for (const i of f.inputs) consumersLeft.set(i, (consumersLeft.get(i) ?? 0) + 1);
  const modelOutputs = new Set(graph.outputs);

  const started = new Set<F>();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  const finish = (f: F, out: Record<string, T>) => {
    for (const o of f.outputs) {
      const v = out[o];
      if (v === undefined || v === null) throw new MoparError(`${prefix}function '${f.name}' did not return '${o}'`);
      available.set(o, v);
    }
    for (const i of f.inputs) {
      if (constants.has(i)) continue;
      const left = (consumersLeft.get(i) ?? 1) - 1;
      consumersLeft.set(i, left);
      if (left > 0) continue;
      const v = available.get(i);
      if (v !== undefined) opts.release?.(i, v);
      if (!modelOutputs.has(i)) available.delete(i);
    }
  };
  const launch = (f: F) => {
    started.add(f);
    const feeds: Record<string, T> = {};
    for (const i of f.inputs) feeds[i] = available.get(i) as T;
    const p = (async () => finish(f, await call(f, feeds)))()
      .catch((error: unknown) => { failure ??= { error }; })
      .finally(() => running.delete(p));
    running.add(p);
  };
  for (;;) {
    if (!failure && opts.signal?.aborted) {
      const next = graph.functions.find((f) => !started.has(f))?.name;
      failure = { error: opts.abortError?.(next) ?? opts.signal.reason };
    }
    if (!failure) {
      for (const f of graph.functions) {
        if (opts.oneAtATime && running.size > 0) break;
        if (!started.has(f) && f.inputs.every((i) => available.has(i))) launch(f);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failure) throw failure.error;
  if (started.size !== graph.functions.length) {
    const stuck = graph.functions.filter((f) => !started.has(f))
      .map((f) => `'${f.name}' waits for ${f.inputs.filter((i) => !available.has(i)).map((i) => `'${i}'`).join(', ')}`);
    throw new MoparError(`${prefix}functions never got all their inputs (broken manifest): ${stuck.join('; ')}`);
  }
  const outputs: Record<string, T> = {};
  for (const o of graph.outputs) {
    const v = available.get(o);
    if (v === undefined) throw new MoparError(`${prefix}no function produced model output '${o}'`);
    outputs[o] = v;
  }
  return outputs;
}

/** When each function starts and ends, relative to the request's start, as `dataflowSchedule` lays them out. */
export interface DataflowSchedule {
  /** When the last model output exists (the request's latency without what lies outside the functions). */
  ms: number;
  start: Record<string, number>;
  finish: Record<string, number>;
  /** The critical path: the functions whose times make up `ms`, in order. */
  path: string[];
}

export interface ScheduleOptions<F> {
  /**
   * The earliest a function may start, from the request's start: a function then starts at the later of its
   * inputs existing and this. With proactive warm-up (every instance starts when the request enters) it is the
   * function's cold start; the critical path then begins at a function whose start it decided.
   */
  readyAtMs?: (f: F) => number;
}

/**
 * The same rule as runDataflow (a function starts once all its inputs exist) on paper, as a platform with one
 * machine per function would run it: each function takes `durationMs(f)` and nothing waits for a core. So `ms` is
 * the longest path through the graph. Measuring benches compose function-by-function timings with it, and
 * `durationMs = () => 1` gives each function's depth (functions of equal depth can run at once).
 */
export function dataflowSchedule<F extends DataflowFunction>(graph: DataflowGraph<F>, durationMs: (f: F) => number, opts: ScheduleOptions<F> = {}): DataflowSchedule {
  const producer = new Map<string, F>();
  for (const f of graph.functions) for (const o of f.outputs) producer.set(o, f);
  const start: Record<string, number> = {};
  const finish: Record<string, number> = {};
  const via = new Map<string, F | undefined>();
  const visiting = new Set<string>();
  const ready = (tensor: string): number => {
    const p = producer.get(tensor);
    return p ? end(p) : 0; // a model input, a constant, or a tensor nothing produces (runDataflow refuses those)
  };
  const end = (f: F): number => {
    if (finish[f.name] !== undefined) return finish[f.name]!;
    if (visiting.has(f.name)) throw new MoparError(`function '${f.name}' depends on itself (broken manifest)`);
    visiting.add(f.name);
    let at = 0;
    let from: F | undefined;
    for (const i of f.inputs) {
      const r = ready(i);
      if (r > at || (r === at && !from)) { at = r; from = producer.get(i); }
    }
    visiting.delete(f.name);
    const readyAt = opts.readyAtMs?.(f) ?? 0;
    if (readyAt > at) { at = readyAt; from = undefined; }
    start[f.name] = at;
    via.set(f.name, from);
    return (finish[f.name] = at + durationMs(f));
  };
  for (const f of graph.functions) end(f);
  let ms = 0;
  let last: F | undefined;
  for (const o of graph.outputs) {
    const r = ready(o);
    if (r > ms || (r === ms && !last)) { ms = r; last = producer.get(o); }
  }
  const path: string[] = [];
  for (let f = last; f; f = via.get(f.name)) path.unshift(f.name);
  return { ms, start, finish, path };
}
