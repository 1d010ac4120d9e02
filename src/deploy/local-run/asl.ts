/**
 * A Step Functions interpreter for the state machines `mopar deploy --target lambda` writes, so that `mopar
 * local-run` can run them where no Step Functions service exists: Task states on `arn:aws:states:::lambda:invoke`
 * (Parameters {FunctionName, "Payload.$": "$"}, OutputPath, Retry), Parallel states (Branches, ResultSelector
 * with `States.JsonMerge`), Next/End, TimeoutSeconds. Anything else in a definition is refused up front, naming
 * the state, rather than interpreted loosely: the definitions themselves are checked against asl-validator in the
 * deploy tests.
 */

type Json = unknown;
/** One state of an ASL definition (the fields this interpreter reads). */
interface State {
  Type: string; Next?: string; End?: boolean; Resource?: string; Parameters?: Record<string, string>; OutputPath?: string;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number }>;
  Branches?: Machine[]; ResultSelector?: Record<string, string>;
}
export interface Machine { StartAt: string; States: Record<string, State>; TimeoutSeconds?: number }

/** A Task's failure as Step Functions reports it: the error name and its cause. */
export class TaskFailed extends Error {
  constructor(readonly error: string, readonly reason: string) {
    super(`${error}: ${reason}`);
  }
}

/**
 * Runs one Lambda function: `fn` is the FunctionName after substitution, `payload` the task's input. Resolves to
 * the function's result; rejects with TaskFailed for a function error (the name Lambda reports, e.g. 'Error').
 */
export type InvokeLambda = (fn: string, payload: Json) => Promise<Json>;

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** Refuses a definition that uses anything this interpreter does not implement. */
export function checkSupported(def: Machine, where = 'the state machine'): void {
  if (!def.States?.[def.StartAt]) throw new Error(`${where}: StartAt '${def.StartAt}' is not a state`);
  for (const [name, s] of Object.entries(def.States)) {
    if (s.Type === 'Task') {
      if (s.Resource !== LAMBDA_INVOKE) throw new Error(`state '${name}': resource ${s.Resource} is not supported locally`);
      if (s.Parameters?.['Payload.$'] !== '$' || typeof s.Parameters?.FunctionName !== 'string') throw new Error(`state '${name}': only {FunctionName, "Payload.$": "$"} parameters are supported locally`);
    } else if (s.Type === 'Parallel') {
      (s.Branches ?? []).forEach((b, i) => checkSupported(b, `state '${name}' branch ${i}`));
    } else {
      throw new Error(`state '${name}': type ${s.Type} is not supported locally`);
    }
    if (!s.End && !(s.Next && def.States[s.Next])) throw new Error(`state '${name}': Next '${s.Next}' is not a state`);
  }
}

function jsonPath(value: Json, p: string): Json {
  if (p === '$') return value;
  let cur = value as Record<string, unknown> | undefined;
  for (const m of p.slice(1).matchAll(/\.([A-Za-z_]\w*)|\[(\d+)\]/g)) {
    cur = (m[1] !== undefined ? cur?.[m[1]] : (cur as unknown as Json[] | undefined)?.[Number(m[2])]) as Record<string, unknown> | undefined;
  }
  return cur;
}

/** Splits the arguments of an intrinsic call at its top-level commas. */
function args(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '(') depth++;
    else if (inner[i] === ')') depth--;
    else if (inner[i] === ',' && depth === 0) { out.push(inner.slice(start, i)); start = i + 1; }
  }
  out.push(inner.slice(start));
  return out.map((a) => a.trim());
}

/** A JSONPath or `States.JsonMerge(a, b, false)` (nested), evaluated against `input`. */
function evaluate(expr: string, input: Json): Json {
  expr = expr.trim();
  if (!expr.startsWith('States.JsonMerge(')) return jsonPath(input, expr);
  const a = args(expr.slice('States.JsonMerge('.length, -1));
  if (a.length !== 3 || a[2] !== 'false') throw new Error(`unsupported intrinsic ${expr}`);
  return { ...(evaluate(a[0]!, input) as object), ...(evaluate(a[1]!, input) as object) };
}

function select(sel: Record<string, string>, input: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(sel)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = evaluate(v, input);
    else out[k] = v;
  }
  return out;
}

/** Thrown in a branch found stopped: its execution or Parallel state has already ended. */
class Stopped extends Error {}

/** Waits `ms`, or less if `stop` fires first (a Retry's interval must not outlive its execution). */
function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const done = () => { clearTimeout(t); stop.removeEventListener('abort', done); r(); };
    const t = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}

async function runTask(s: State, input: Json, invoke: InvokeLambda, substitute: (v: string) => string, stop: AbortSignal): Promise<Json> {
  const fn = substitute(s.Parameters!.FunctionName!);
  // What crosses the service boundary is JSON.
  const payload = JSON.parse(JSON.stringify(input)) as Json;
  for (let attempt = 0; ; attempt++) {
    if (stop.aborted) throw new Stopped();
    try {
      const result = { Payload: await invoke(fn, payload), StatusCode: 200 };
      return s.OutputPath ? jsonPath(result, s.OutputPath) : result;
    } catch (err) {
      const name = err instanceof TaskFailed ? err.error : 'Lambda.ServiceException';
      const rule = s.Retry?.find((r) => r.ErrorEquals.includes(name) || r.ErrorEquals.includes('States.ALL'));
      // MaxAttempts counts retries after the first try (Step Functions' rule).
      if (!rule || attempt >= (rule.MaxAttempts ?? 3)) throw err instanceof TaskFailed ? err : new TaskFailed(name, (err as Error).message);
      await sleep(1000 * (rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** attempt, stop);
    }
  }
}

/**
 * Runs the branches of a Parallel state. As in Step Functions, the first branch to fail fails the state and the
 * others are stopped: they start no further state (a Task invocation in flight may finish; its result is dropped).
 */
async function runParallel(s: State, input: Json, invoke: InvokeLambda, substitute: (v: string) => string, stop: AbortSignal): Promise<Json[]> {
  const branches = new AbortController();
  const stopAll = () => branches.abort();
  stop.addEventListener('abort', stopAll, { once: true });
  let failure: { err: unknown } | undefined;
  try {
    return await Promise.all((s.Branches ?? []).map((b) => runMachine(b, input, invoke, substitute, branches.signal).catch((err: unknown) => {
      // The first failure is the state's error, not the Stopped of a branch that was stopped because of it.
      if (!branches.signal.aborted) { failure = { err }; branches.abort(); }
      throw err;
    })));
  } catch (err) {
    throw failure ? failure.err : err;
  } finally {
    stop.removeEventListener('abort', stopAll);
  }
}

async function runMachine(def: Machine, input: Json, invoke: InvokeLambda, substitute: (v: string) => string, stop: AbortSignal): Promise<Json> {
  let name: string | undefined = def.StartAt;
  let value = input;
  while (name) {
    if (stop.aborted) throw new Stopped();
    const s: State = def.States[name]!;
    if (s.Type === 'Task') {
      value = await runTask(s, value, invoke, substitute, stop);
    } else {
      const results = await runParallel(s, value, invoke, substitute, stop);
      value = s.ResultSelector ? select(s.ResultSelector, results) : results;
    }
    name = s.End ? undefined : s.Next;
  }
  return value;
}

/** What StartSyncExecution answers: SUCCEEDED with the output, or FAILED/TIMED_OUT with error and cause. */
export interface Execution { status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT'; output?: string; error?: string; cause?: string }

/** Runs `def` on `input` (JSON text) as StartSyncExecution would; `substitutions` fill `${Name}` placeholders. */
export async function execute(def: Machine, input: string, invoke: InvokeLambda, substitutions: Record<string, string>): Promise<Execution> {
  const substitute = (v: string) => v.replace(/\$\{(\w+)\}/g, (m, k: string) => substitutions[k] ?? m);
  // Once the execution has ended (timed out or failed), every branch still running is stopped.
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Execution>((resolve) => {
    if (def.TimeoutSeconds) timer = setTimeout(() => resolve({ status: 'TIMED_OUT', error: 'States.Timeout', cause: `over ${def.TimeoutSeconds} s` }), 1000 * def.TimeoutSeconds);
  });
  try {
    const run = runMachine(def, JSON.parse(input) as Json, invoke, substitute, stop.signal);
    // After a timeout the run still settles (Stopped, or a late failure): nobody awaits it then.
    run.catch(() => {});
    return await Promise.race([timeout, run.then((out) => ({ status: 'SUCCEEDED' as const, output: JSON.stringify(out) }))]);
  } catch (err) {
    const f = err instanceof TaskFailed ? err : new TaskFailed('States.Runtime', (err as Error).message);
    return { status: 'FAILED', error: f.error, cause: f.reason };
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
