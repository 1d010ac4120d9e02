/**
 * What a `mopar deploy` output folder asks each platform to run, read back from the generated files themselves
 * (stack.yml, knative.yaml, template.yaml + the state machine), so that `local-run` starts exactly that: each
 * function's folder, the command its image or runtime starts, its environment and its limits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { MoparError } from '../../core/index.js';
import { parseCfnYaml } from '../cfn-yaml.js';
import { DEPLOY_TARGETS, type DeployTarget } from '../types.js';
import type { Machine } from './asl.js';

export interface LocalFunction {
  /** The platform's name for it (the OpenFaaS function, the Knative Service, the Lambda logical id). */
  name: string;
  /** Its folder in the deploy output (what the image's COPY or the zip takes). */
  dir: string;
  /** The model's endpoint (it has pipeline.json), not a slice. */
  entry: boolean;
  /** The environment the platform gives it, as written (cluster URLs and references still to be replaced). */
  env: Record<string, string>;
  memoryMB?: number;
  vcpu?: number;
  /** Lambda: how long one invocation may run (the template's Timeout), seconds. */
  timeoutS?: number;
}

export interface LocalLayout {
  target: DeployTarget;
  model: string;
  functions: LocalFunction[];
  /** OpenFaaS: the template folder whose index.js starts every function. */
  template?: string;
  /** Lambda: the state machine and its `${…}` substitutions (→ logical ids of functions); none for one function. */
  machine?: Machine;
  substitutions?: Record<string, string>;
}

const MARKER = '.mopar-deploy';
/** Stands for the Lambda stack's bucket (a `!Ref StagingBucket`) in a function's environment. */
export const STACK_BUCKET = '${StagingBucket}';

function readText(out: string, file: string): string {
  const p = join(out, file);
  if (!existsSync(p)) throw new MoparError(`${file} is missing from ${out}: not a complete mopar deploy output`);
  return readFileSync(p, 'utf8');
}

/** Kubernetes quantities as the generated files write them: '144Mi' / '1Gi', '80m' / '1'. */
export function memoryMB(q: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)?$/.exec(String(q ?? ''));
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'Gi' ? n * 1024 : m[2] === 'G' ? (n * 1e9) / 2 ** 20 : m[2] === 'M' ? (n * 1e6) / 2 ** 20 : m[2] === 'Mi' ? n : n / 2 ** 20;
}
export function cpus(q: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(q ?? ''));
  return m ? Number(m[1]) / (m[2] ? 1000 : 1) : undefined;
}

const isEntry = (dir: string) => existsSync(join(dir, 'pipeline.json'));
const stringEnv = (o: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, String(v)]));

function modelOf(fns: LocalFunction[]): string {
  const entry = fns.find((f) => f.entry);
  if (!entry) throw new MoparError('the deploy output has no entry function (no folder with pipeline.json)');
  return (JSON.parse(readFileSync(join(entry.dir, 'pipeline.json'), 'utf8')) as { model: string }).model;
}

function openfaas(out: string): LocalLayout {
  const stack = parseYaml(readText(out, 'stack.yml')) as { functions?: Record<string, { lang?: string; handler?: string; environment?: Record<string, unknown>; limits?: { memory?: string; cpu?: string } }> };
  const functions: LocalFunction[] = [];
  let lang: string | undefined;
  for (const [name, f] of Object.entries(stack.functions ?? {})) {
    const dir = join(out, f.handler ?? `functions/${name}`);
    lang ??= f.lang;
    functions.push({ name, dir, entry: isEntry(dir), env: stringEnv(f.environment), memoryMB: memoryMB(f.limits?.memory), vcpu: cpus(f.limits?.cpu) });
  }
  if (!lang) throw new MoparError('stack.yml names no functions');
  return { target: 'openfaas', model: modelOf(functions), functions, template: join(out, 'template', lang) };
}

interface K8sEnv { name: string; value?: string }
interface KService {
  kind?: string; metadata?: { name?: string };
  spec?: { template?: { spec?: { containers?: Array<{ env?: K8sEnv[]; resources?: { limits?: { memory?: string; cpu?: string } } }> } } };
}

function knative(out: string): LocalLayout {
  const functions: LocalFunction[] = [];
  for (const doc of parseAllDocuments(readText(out, 'knative.yaml'))) {
    const s = doc.toJS() as KService | null;
    if (s?.kind !== 'Service' || !s.metadata?.name) continue;
    const c = s.spec?.template?.spec?.containers?.[0];
    const dir = join(out, 'functions', s.metadata.name);
    functions.push({
      name: s.metadata.name, dir, entry: isEntry(dir),
      env: Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? ''])),
      memoryMB: memoryMB(c?.resources?.limits?.memory), vcpu: cpus(c?.resources?.limits?.cpu),
    });
  }
  return { target: 'knative', model: modelOf(functions), functions };
}

interface SamFunction { Type: string; Properties: { CodeUri?: string; MemorySize?: number; Timeout?: number; Environment?: { Variables?: Record<string, unknown> } }; Metadata?: { DockerContext?: string } }

/**
 * A function's Timeout: its own, else the template's Globals. Absent from both, Lambda's default applies: AWS
 * documents it as 3 seconds (Lambda developer guide, "Configure Lambda function timeout"; the Timeout property of
 * AWS::Lambda::Function), up to 900.
 */
const LAMBDA_DEFAULT_TIMEOUT_S = 3;

function lambda(out: string): LocalLayout {
  const template = parseCfnYaml(readText(out, 'template.yaml')) as {
    Globals?: { Function?: { Timeout?: number } };
    Resources: Record<string, SamFunction & { Properties: { DefinitionUri?: string; DefinitionSubstitutions?: Record<string, { 'Fn::GetAtt'?: [string, string] }> } }>;
  };
  const functions: LocalFunction[] = [];
  let machine: Machine | undefined;
  const substitutions: Record<string, string> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::Serverless::Function') {
      const rel = r.Properties.CodeUri ?? r.Metadata?.DockerContext;
      if (!rel) continue;
      const dir = join(out, rel);
      // Lambda gives a function vCPU in proportion to its memory: 1769 MB is one vCPU.
      const mb = r.Properties.MemorySize;
      // Intrinsics are the stack's own resources: a Ref to its bucket becomes STACK_BUCKET (local-run's bucket);
      // other ones (the state machine's ARN) local-run sets itself.
      const vars = Object.fromEntries(Object.entries(r.Properties.Environment?.Variables ?? {}).flatMap(([k, v]) => {
        if (typeof v !== 'object' || v === null) return [[k, String(v)]];
        return (v as { Ref?: string }).Ref === 'StagingBucket' ? [[k, STACK_BUCKET]] : [];
      }));
      const timeoutS = r.Properties.Timeout ?? template.Globals?.Function?.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_S;
      functions.push({ name: id, dir, entry: isEntry(dir), env: vars, memoryMB: mb, vcpu: mb ? mb / 1769 : undefined, timeoutS });
    } else if (r.Type === 'AWS::Serverless::StateMachine') {
      machine = JSON.parse(readText(out, r.Properties.DefinitionUri ?? 'statemachine/pipeline.asl.json')) as Machine;
      for (const [k, v] of Object.entries(r.Properties.DefinitionSubstitutions ?? {})) {
        const logical = v['Fn::GetAtt']?.[0];
        if (logical) substitutions[k] = logical;
      }
    }
  }
  // A model of one function is its own endpoint (the function URL runs it): no state machine.
  const alone = functions.length === 1 && functions[0]!.entry && existsSync(join(functions[0]!.dir, 'function.json'));
  if (!machine && !alone) throw new MoparError('template.yaml has no state machine (AWS::Serverless::StateMachine)');
  return { target: 'lambda', model: modelOf(functions), functions, machine, substitutions };
}

/** Reads a deploy output folder; which target wrote it is in its marker file. */
export function readLayout(out: string): LocalLayout {
  if (!existsSync(join(out, MARKER))) throw new MoparError(`${out} is not a mopar deploy output (no ${MARKER}); make one with 'mopar deploy DIR --target T -o ${out}'`);
  const target = readFileSync(join(out, MARKER), 'utf8').trim() as DeployTarget;
  if (!DEPLOY_TARGETS.includes(target)) throw new MoparError(`${out}: unknown deploy target '${target}' in ${MARKER}`);
  return { openfaas, knative, lambda }[target](out);
}
