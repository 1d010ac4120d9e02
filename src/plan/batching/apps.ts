/**
 * Applications of a workload: `--apps FILE` ({"apps": [{name, sloMs, ratePerSec}]}, validated against
 * docs/schemas/apps.schema.json) and repeatable `--app NAME:SLO_MS:RATE`.
 */
import { MoparError, readJsonFile, validate } from '../../core/index.js';
import { checkApps, type AppSpec } from './planner.js';

/** Applications from a parsed apps document; `source` names it in errors (a file name, never read back). */
export function appsFromJson(doc: unknown, source: string): AppSpec[] {
  const ok = validate<{ apps: AppSpec[] }>('apps', doc, source);
  const apps = ok.apps.map((a) => ({ name: a.name, sloMs: a.sloMs, ratePerSec: a.ratePerSec }));
  checkApps(apps);
  return apps;
}

export function readAppsFile(path: string): AppSpec[] {
  return appsFromJson(readJsonFile(path, 'apps file'), `apps file ${path}`);
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
