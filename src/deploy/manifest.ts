/**
 * Reads DIR/manifest.json for deployment (through partition's one manifest reader), then orders the functions
 * into stages (a stage = one function, or one group of sub-slices that run in parallel) and works out which
 * tensors are still needed after each stage.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MoparError } from '../core/index.js';
import { loadManifest, type Manifest, type ManifestFunction } from '../partition/index.js';
import type { DeployBatching } from './batching.js';

export interface DeployFunction extends ManifestFunction {
  /** Absolute path of the slice file. */
  path: string;
  /** Absolute path of its external data file (ships next to it under the same name), if any. */
  dataPath?: string;
  /** Bytes of the slice file plus its external data. */
  fileBytes: number;
}

export interface Stage {
  group: string;
  functions: DeployFunction[];
  /** Tensors needed after this stage: inputs of later stages and model outputs produced so far. */
  liveAfter: string[];
}

export interface DeployInput {
  dir: string;
  manifest: Manifest;
  functions: DeployFunction[];
  stages: Stage[];
  /** `deploy --batching PLAN`: the groups the entry batches by. */
  batching?: DeployBatching;
  /** A fleet's model (deploy/fleet.ts): platform names given per function (a shared one is named after the fleet). */
  names?: Map<string, string>;
  /** A fleet's model: functions another model's deploy already wrote (routed to, not written again). */
  emitted?: ReadonlySet<string>;
}

export function readManifestForDeploy(dir: string): DeployInput {
  // The one manifest reader: schema, dataflow, files confined to the folder and matching their sha256.
  const { manifest: m, paths } = loadManifest(dir);
  const functions = m.functions.map((fn): DeployFunction => {
    const path = paths.get(fn.name)!;
    if (!fn.data) return { ...fn, path, fileBytes: statSync(path).size };
    const dataPath = join(dirname(path), fn.data.file);
    return { ...fn, path, dataPath, fileBytes: statSync(path).size + statSync(dataPath).size };
  });
  return { dir, manifest: m, functions, stages: stagesOf(m, functions) };
}

/**
 * Orders groups by dataflow; a group whose members depend on each other cannot run in parallel: an error. A
 * constant exists from the start, like a model input (the entry adds it to the state).
 */
export function stagesOf(m: Pick<Manifest, 'inputs' | 'outputs' | 'constants'>, functions: DeployFunction[]): Stage[] {
  const producer = new Map<string, DeployFunction>();
  for (const fn of functions) {
    for (const t of fn.outputs) {
      if (producer.has(t)) throw new MoparError(`manifest: tensor '${t}' is produced by both '${producer.get(t)!.name}' and '${fn.name}'`);
      producer.set(t, fn);
    }
  }
  const modelInputs = new Set(m.inputs);
  const given = new Set([...m.inputs, ...Object.keys(m.constants ?? {})]);
  const groups = new Map<string, DeployFunction[]>();
  for (const fn of functions) {
    for (const t of fn.inputs) {
      if (!given.has(t) && !producer.has(t)) throw new MoparError(`manifest: function '${fn.name}' reads '${t}', which no function produces and is no model input or constant`);
    }
    const list = groups.get(fn.group) ?? [];
    list.push(fn);
    groups.set(fn.group, list);
  }
  for (const t of m.outputs) {
    if (!producer.has(t) && !modelInputs.has(t)) throw new MoparError(`manifest: no function produces model output '${t}'`);
  }
  const deps = new Map<string, Set<string>>();
  for (const [g, fns] of groups) {
    const d = new Set<string>();
    for (const fn of fns) {
      for (const t of fn.inputs) {
        const p = producer.get(t);
        if (!p) continue;
        if (p.group === g) throw new MoparError(`manifest: '${fn.name}' reads '${t}' from '${p.name}' of the same parallel group '${g}'`);
        d.add(p.group);
      }
    }
    deps.set(g, d);
  }
  // Kahn's algorithm, keeping manifest order among ready groups.
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < groups.size) {
    const next = [...groups.keys()].find((g) => !done.has(g) && [...deps.get(g)!].every((d) => done.has(d)));
    if (!next) throw new MoparError('manifest: the functions depend on each other in a cycle');
    order.push(next);
    done.add(next);
  }
  const stages = order.map((g): Stage => ({ group: g, functions: groups.get(g)!, liveAfter: [] }));
  stages.forEach((s, i) => {
    const produced = new Set([...given, ...stages.slice(0, i + 1).flatMap((x) => x.functions.flatMap((f) => f.outputs))]);
    const needed = new Set([...m.outputs, ...stages.slice(i + 1).flatMap((x) => x.functions.flatMap((f) => f.inputs))]);
    s.liveAfter = [...needed].filter((t) => produced.has(t));
  });
  return stages;
}

/** A DNS-1123 label (Kubernetes, OpenFaaS and Knative names): lowercase, digits, '-', at most `max` chars. */
export function dnsLabel(s: string, max = 63): string {
  let out = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(out)) out = `m-${out}`;
  return out.slice(0, max).replace(/-+$/, '');
}

/** Platform names for every function: `<prefix>-<function>`, unique, within `max` characters. */
export function platformNames(prefix: string, functions: readonly { name: string }[], max = 63): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const [i, fn] of functions.entries()) {
    let name = dnsLabel(`${prefix}-${fn.name}`, max);
    if (used.has(name)) name = dnsLabel(`${name.slice(0, max - 6)}-${i}`, max);
    used.add(name);
    out.set(fn.name, name);
  }
  return out;
}
