/**
 * Runs a generated Step Functions definition locally, for tests: the subset `mopar deploy` emits (Task on
 * arn:aws:states:::lambda:invoke with Parameters {FunctionName, "Payload.$": "$"} and OutputPath "$.Payload";
 * Parallel with ResultSelector {"tensors.$": States.JsonMerge(...)}; Next/End). Each Task runs the real handler
 * under lambda-local (a Lambda event and context), resolving FunctionName through the SAM template.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const req = createRequire(import.meta.url);
const lambdaLocal = req('lambda-local') as { execute(opts: Record<string, unknown>): Promise<unknown>; setLogger(l: unknown): void };

type State = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export interface AslRunOptions {
  /** SAM template (long form, from parseCfnYaml) and its folder. */
  template: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  out: string;
  /** Replaces the template's environment values (e.g. the bucket Ref). */
  environment: (fnLogicalId: string, templateEnv: Record<string, unknown>) => Record<string, string>;
  /** Instead of handler.js, run this module object (e.g. a handler with an in-memory object store). */
  lambdaFunc?: (dir: string) => { handler: unknown };
  invocations?: string[];
}

function functionDir(o: AslRunOptions, arnVar: string): { id: string; dir: string } {
  const subs = o.template.Resources.Pipeline.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
  const id = subs[arnVar]!['Fn::GetAtt'][0];
  const fn = o.template.Resources[id];
  const rel = fn.Properties.CodeUri ?? fn.Metadata.DockerContext;
  return { id, dir: join(o.out, rel) };
}

function path(value: unknown, p: string): unknown {
  if (p === '$') return value;
  let cur: any = value; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const m of p.slice(1).matchAll(/\.([A-Za-z_]\w*)|\[(\d+)\]/g)) cur = m[1] !== undefined ? cur?.[m[1]] : cur?.[Number(m[2])];
  return cur;
}

/** Evaluates `States.JsonMerge(a, b, false)` (nested) and JSONPaths against `input`. */
function intrinsic(expr: string, input: unknown): unknown {
  expr = expr.trim();
  if (!expr.startsWith('States.JsonMerge(')) return path(input, expr);
  const inner = expr.slice('States.JsonMerge('.length, -1);
  let depth = 0;
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '(') depth++;
    else if (inner[i] === ')') depth--;
    else if (inner[i] === ',' && depth === 0) { args.push(inner.slice(start, i)); start = i + 1; }
  }
  args.push(inner.slice(start));
  if (args.length !== 3 || args[2]!.trim() !== 'false') throw new Error(`unsupported intrinsic ${expr}`);
  return { ...(intrinsic(args[0]!, input) as object), ...(intrinsic(args[1]!, input) as object) };
}

function selector(sel: Record<string, string>, input: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sel)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = intrinsic(v, input);
    else out[k] = v;
  }
  return out;
}

async function runTask(o: AslRunOptions, s: State, input: unknown): Promise<unknown> {
  if (s.Resource !== 'arn:aws:states:::lambda:invoke') throw new Error(`unsupported resource ${s.Resource}`);
  const m = /^\$\{(\w+)\}$/.exec(s.Parameters.FunctionName);
  if (!m || s.Parameters['Payload.$'] !== '$') throw new Error('unsupported Task parameters');
  const { id, dir } = functionDir(o, m[1]!);
  o.invocations?.push(id);
  const env = o.environment(id, o.template.Resources[id].Properties.Environment?.Variables ?? {});
  const payload = await lambdaLocal.execute({
    event: JSON.parse(JSON.stringify(input)), // what crosses the service boundary is JSON
    ...(o.lambdaFunc ? { lambdaFunc: o.lambdaFunc(dir) } : { lambdaPath: join(dir, 'handler.js') }),
    lambdaHandler: 'handler', timeoutMs: 60_000, environment: env, verboseLevel: 0,
  });
  const result = { Payload: payload, StatusCode: 200 };
  return s.OutputPath ? path(result, s.OutputPath) : result;
}

async function runMachine(o: AslRunOptions, def: State, input: unknown): Promise<unknown> {
  let name: string | undefined = def.StartAt;
  let value = input;
  while (name) {
    const s: State = def.States[name];
    if (!s) throw new Error(`no state ${name}`);
    if (s.Type === 'Task') value = await runTask(o, s, value);
    else if (s.Type === 'Parallel') {
      const v = value;
      const results = await Promise.all(s.Branches.map((b: State) => runMachine(o, b, v)));
      value = s.ResultSelector ? selector(s.ResultSelector, results) : results;
    } else throw new Error(`unsupported state type ${s.Type}`);
    name = s.End ? undefined : s.Next;
  }
  return value;
}

export function runStateMachine(o: AslRunOptions, definition: State, input: unknown): Promise<unknown> {
  lambdaLocal.setLogger({ log() {}, info() {}, warn() {}, error() {}, debug() {}, transports: [] });
  return runMachine(o, definition, input);
}
