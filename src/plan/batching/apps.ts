/**
 * Applications of a workload: `--apps FILE` ({"apps": [{name, sloMs, ratePerSec, arrivals?}]}, validated against
 * docs/schemas/apps.schema.json) and repeatable `--app NAME:SLO_MS:RATE`. An application whose arrivals are a
 * trace may leave ratePerSec out: it is the trace's mean rate; trace paths are relative to the apps file.
 */
import { dirname, resolve } from 'node:path';
import { MoparError, readJsonFile, validate } from '../../core/index.js';
import { checkArrivalSpec, meanRateOf, type ArrivalSpec } from './arrivals.js';
import { checkApps, type AppSpec } from './planner.js';

/** Applications from a parsed apps document; `source` names it in errors (a file name, never read back). */
export function appsFromJson(doc: unknown, source: string, baseDir = '.'): AppSpec[] {
  const ok = validate<{ apps: Array<Omit<AppSpec, 'ratePerSec'> & { ratePerSec?: number }> }>('apps', doc, source);
  const apps = ok.apps.map((a, i): AppSpec => {
    if (!a.arrivals) {
      if (a.ratePerSec === undefined) throw new MoparError(`${source}: apps[${i}].ratePerSec is missing (it may be left out only when the arrivals are a trace)`);
      return { name: a.name, sloMs: a.sloMs, ratePerSec: a.ratePerSec };
    }
    const arrivals: ArrivalSpec = a.arrivals.kind === 'trace' ? { ...a.arrivals, file: resolve(baseDir, a.arrivals.file) } : a.arrivals;
    checkArrivalSpec(arrivals, `${source}: application '${a.name}'`);
    if (arrivals.kind !== 'trace' && a.ratePerSec === undefined) throw new MoparError(`${source}: apps[${i}].ratePerSec is missing (the mean rate of its ${arrivals.kind} arrivals)`);
    return { name: a.name, sloMs: a.sloMs, ratePerSec: a.ratePerSec ?? meanRateOf({ arrivals }), arrivals };
  });
  checkApps(apps);
  return apps;
}

export function readAppsFile(path: string): AppSpec[] {
  return appsFromJson(readJsonFile(path, 'apps file'), `apps file ${path}`, dirname(path));
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
