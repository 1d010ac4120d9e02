/**
 * Runs a generated Step Functions definition in the test process: local-run's interpreter, with each Task's real
 * handler under lambda-local (a Lambda event and context), FunctionName resolved through the SAM template.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { checkSupported, execute, TaskFailed, type Machine } from '../../src/deploy/local-run/asl.js';

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

/**
 * Runs the definition with the interpreter `mopar local-run` uses (src/deploy/local-run/asl.ts); each Task runs the
 * handler in this process under lambda-local. Resolves to the machine's output; a failed execution rejects.
 */
export async function runStateMachine(o: AslRunOptions, definition: State, input: unknown): Promise<unknown> {
  lambdaLocal.setLogger({ log() {}, info() {}, warn() {}, error() {}, debug() {}, transports: [] });
  const subs = o.template.Resources.Pipeline.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
  const substitutions = Object.fromEntries(Object.entries(subs).map(([k, v]) => [k, v['Fn::GetAtt'][0]]));
  const invoke = async (id: string, payload: unknown) => {
    const fn = o.template.Resources[id];
    const dir = join(o.out, fn.Properties.CodeUri ?? fn.Metadata.DockerContext);
    o.invocations?.push(id);
    const env = o.environment(id, fn.Properties.Environment?.Variables ?? {});
    try {
      return await lambdaLocal.execute({
        event: payload,
        ...(o.lambdaFunc ? { lambdaFunc: o.lambdaFunc(dir) } : { lambdaPath: join(dir, 'handler.js') }),
        lambdaHandler: 'handler', timeoutMs: 60_000, environment: env, verboseLevel: 0,
      });
    } catch (err) {
      throw new TaskFailed((err as { errorType?: string }).errorType ?? 'Error', (err as { errorMessage?: string }).errorMessage ?? String(err));
    }
  };
  checkSupported(definition as Machine);
  const ex = await execute(definition as Machine, JSON.stringify(input), invoke, substitutions);
  if (ex.status !== 'SUCCEEDED') throw new Error(`the state machine ended ${ex.status}: ${ex.error} ${ex.cause}`);
  return JSON.parse(ex.output!);
}
