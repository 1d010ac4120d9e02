/**
 * Applications of a workload: `--apps FILE` ({"apps": [{name, sloMs, ratePerSec}]}, validated against
 * docs/schemas/apps.schema.json) and repeatable `--app NAME:SLO_MS:RATE`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { MoparError, errorMessage } from '../../core/errors.js';
import { checkApps, type AppSpec } from './planner.js';

// src/plan/batching and dist/plan/batching are both three levels below the package root.
const SCHEMA_URL = new URL('../../../docs/schemas/apps.schema.json', import.meta.url);
let validate: ReturnType<Ajv['compile']> | undefined;

function validator() {
  if (!validate) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
    validate = new Ajv({ allErrors: false, strict: true }).compile(schema);
  }
  return validate;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : 'the document';
  if (e.keyword === 'additionalProperties') return `${where}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/** Applications from a parsed apps document; `source` names it in errors (a file name, never read back). */
export function appsFromJson(doc: unknown, source: string): AppSpec[] {
  const v = validator();
  if (!v(doc)) throw new MoparError(`${source}: ${describe(v.errors![0]!)} (see docs/schemas/apps.schema.json)`);
  const apps = (doc as { apps: AppSpec[] }).apps.map((a) => ({ name: a.name, sloMs: a.sloMs, ratePerSec: a.ratePerSec }));
  checkApps(apps);
  return apps;
}

export function readAppsFile(path: string): AppSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MoparError(`cannot read apps file ${path}: ${errorMessage(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MoparError(`apps file ${path} is not JSON: ${errorMessage(err)}`);
  }
  return appsFromJson(doc, `apps file ${path}`);
}

/** `NAME:SLO_MS:RATE`, e.g. `search:200:4.5`. */
export function parseAppFlag(spec: string): AppSpec {
  const parts = spec.split(':');
  const [name, slo, rate] = parts;
  if (parts.length !== 3 || !name) throw new MoparError(`--app must be NAME:SLO_MS:RATE (e.g. search:200:4.5), got '${spec}'`);
  const app = { name, sloMs: Number(slo), ratePerSec: Number(rate) };
  return appsFromJson({ apps: [app] }, `--app '${spec}'`)[0]!;
}

/** The file's applications followed by the flags' (names must not repeat). */
export function collectApps(file: string | undefined, flags: readonly string[] | undefined): AppSpec[] | undefined {
  if (!file && !flags?.length) return undefined;
  const apps = [...(file ? readAppsFile(file) : []), ...(flags ?? []).map(parseAppFlag)];
  checkApps(apps);
  return apps;
}
