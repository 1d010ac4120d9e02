/**
 * A fleet: several models partitioned together (`mopar partition A.onnx B.onnx … -o DIR`), so that models sharing
 * weights share functions. The shared part is the longest common prefix of their graphs by content
 * (graph/common-prefix.ts); every model is cut at that one divergence point. The prefix is extracted once (from
 * the first model), planned as one function (`unsplit`; the given strategy where it does not fit one) and written
 * once; each model's remainder is extracted, profiled, planned and built as its own functions. Function files are
 * content-addressed, so a file several models reference is one file in DIR. DIR holds `fleet.json`, one `<name>.manifest.json` per model (each read
 * by the one manifest reader, `loadManifest`) and the function files next to them.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { MoparError, errorMessage, log, readJsonFile, validate } from '../core/index.js';
import {
  clone, commonPrefix, extractModel, NodeProtoSchema, openModel, saveModel, ValueInfoProtoSchema, withSymbolicBatch,
  type Graph, type ModelProto,
} from '../graph/index.js';
import { modelProfile, partitionModel, type PartitionModelOptions } from './partition-model.js';
import { switchedFleet, type SwitchPart } from './fleet-switch.js';
import type { Manifest, ManifestEdge, ManifestFunction, TensorSpec } from './types.js';

export interface FleetRecord {
  kind: 'mopar.fleet';
  version: 1;
  /** Each model and its manifest (relative to the fleet's folder). */
  models: Array<{ name: string; manifest: string }>;
  /** Function files (and data files) that more than one model's manifest references. */
  shared: Array<{ file: string; models: string[] }>;
  /** How the functions are laid out (absent in fleets written before layouts: `prefix`). */
  layout?: FleetLayout;
  /** Where the models were cut: the nodes they share, and per model the first node of its own. */
  cut: { sharedNodes: number; models: Array<{ name: string; divergence: string | null; ownNodes: number }> };
}

export type PartitionFleetOptions = Omit<PartitionModelOptions, 'outDir' | 'writeRecords' | 'profiled' | 'profileFile' | 'onPlan'> & {
  /**
   * `switch` (default): one function holds the shared prefix and every model's own part behind a switch
   * (fleet-switch.ts), where it fits one function; else, and with `prefix`: the prefix as shared functions and
   * each model's own part as its own functions.
   */
  layout?: FleetLayout;
};

export type FleetLayout = 'switch' | 'prefix';

export interface PartitionedFleet {
  fleet: FleetRecord;
  manifests: Manifest[];
  /** Bytes of the distinct files written into the folder (function files and data files). */
  filesBytes: number;
  /** Weight bytes of the shared part (the common prefix), whichever the layout. */
  sharedWeightsBytes: number;
}

/** Partitions `paths` together into `outDir` (at least two models, unique names from their file names). */
export async function partitionFleet(paths: readonly string[], outDir: string, opts: PartitionFleetOptions): Promise<PartitionedFleet> {
  if (paths.length < 2) throw new MoparError('a fleet needs at least two models');
  if (Object.keys(opts.profiling?.inputRanges ?? {}).length) throw new MoparError('--input ranges are not supported for several models partitioned together');
  const names = uniqueNames(paths);
  const shapes = opts.profiling?.inputShapes ?? {};
  const opened = [];
  for (const p of paths) opened.push(await openModel(p, shapes));
  const graphs = opened.map((o) => o.graph);
  const prefix = commonPrefix(graphs);

  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.fleet-'));
  const written = new Map<string, number>();
  try {
    // `keep`: move the function files into DIR (a switch's parts stay in the work folder: only the switch is kept).
    const part = async (model: string, sub: string, o: Omit<PartitionModelOptions, 'outDir'>, keep: boolean): Promise<SwitchPart> => {
      const dir = join(work, sub);
      const { manifest, plan } = await partitionModel(model, { ...o, outDir: dir });
      if (!keep) return { manifest: manifest!, plan, dir };
      // Content-addressed files: one already in DIR (another model's) is the same bytes.
      for (const f of manifest!.functions) {
        for (const [file, bytes] of [[f.file, 0], ...(f.data ? [[f.data.file, f.data.bytes]] : [])] as Array<[string, number]>) {
          const from = join(dir, file);
          if (!existsSync(from)) continue;
          if (existsSync(join(outDir, file))) unlinkSync(from);
          else renameSync(from, join(outDir, file));
          if (!written.has(file)) written.set(file, bytes || sizeOf(join(outDir, file)));
        }
      }
      return { manifest: manifest!, plan, dir };
    };
    const build = async (model: string, sub: string, o: Omit<PartitionModelOptions, 'outDir'>) => (await part(model, sub, o, true)).manifest;

    // Model k's own part as a model reading the prefix's tensors under the first model's names.
    const restOf = (k: number): { file: string; profiling: PartitionFleetOptions['profiling'] } => {
      const g = graphs[k]!;
      const { model } = extractModel(g, g.nodes.slice(prefix.length).map((n) => n.name), { graphName: names[k]! });
      const file = join(work, `${names[k]!}.rest.onnx`);
      saveModel(renamed(withSymbolicBatch(g, model), prefix.rename[k]!), file);
      const restShapes = Object.fromEntries(Object.entries(shapes).filter(([n]) => model.graph!.input.some((i) => i.name === n)));
      return { file, profiling: { ...opts.profiling, inputShapes: restShapes } };
    };

    const manifests: Manifest[] = [];
    let layout: FleetLayout = 'prefix';
    let shared: { manifest: Manifest; outputs: string[] } | undefined;
    let sharedWeightsBytes = 0;
    if (prefix.length > 0) {
      const outputs = boundary(graphs, prefix);
      const { model } = extractModel(graphs[0]!, prefix.nodes[0]!, { onlyOutputs: outputs, graphName: 'shared' });
      const file = join(work, 'shared.onnx');
      saveModel(withSymbolicBatch(graphs[0]!, model), file);
      const profiled = await modelProfile(file, { profiling: opts.profiling });
      const plan = { ...opts.plan, sloMs: undefined, coldSloMs: undefined, alternatives: false };
      if ((opts.layout ?? 'switch') === 'switch' && graphs.every((g) => g.nodes.length > prefix.length)) {
        try {
          const unsplit = { ...plan, strategy: 'unsplit' };
          const pre = await part(file, 'switch-shared', { ...opts, profiled, plan: unsplit }, false);
          sharedWeightsBytes = pre.manifest.functions.reduce((a, f) => a + f.weightsBytes, 0);
          const rests: SwitchPart[] = [];
          for (const k of graphs.keys()) {
            const r = restOf(k);
            rests.push(await part(r.file, `switch-${names[k]!}`, { ...opts, profiling: r.profiling, plan: unsplit }, false));
          }
          const sw = switchedFleet(names, graphs, opened.map((o) => o.loaded.hash), pre, rests, outDir, work, `${SHARED_FUNCTION_PREFIX}fleet`);
          const slow = sw.manifests.find((m) => opts.plan.sloMs !== undefined && m.functions[0]!.predictedMs > opts.plan.sloMs);
          if (slow) throw new MoparError(`${slow.model} is predicted ${slow.functions[0]!.predictedMs.toFixed(0)} ms in it, over the ${opts.plan.sloMs} ms SLO`);
          written.set(sw.file, sw.bytes);
          manifests.push(...sw.manifests);
          layout = 'switch';
        } catch (err) {
          if (!(err instanceof MoparError) || opts.layout === 'switch') throw err;
          log(`partition: the fleet does not fit one switch function (${errorMessage(err)}); sharing its prefix instead`);
        }
      }
      if (layout === 'prefix') {
        // One function for now: the prefix serves the sum of every model's traffic, which the planner does not
        // take (it plans one model's requests); its SLO share is left to the remainders. A prefix too big for one
        // function of the platform is planned by the given strategy instead (from the same profile).
        let manifest: Manifest;
        try {
          manifest = await build(file, 'shared', { ...opts, profiled, plan: { ...plan, strategy: 'unsplit' } });
        } catch (err) {
          if (!(err instanceof MoparError) || (opts.plan.strategy ?? 'mopar') === 'unsplit') throw err;
          log(`partition: the shared prefix does not fit one function (${errorMessage(err)}); planning it with ${opts.plan.strategy ?? 'mopar'}`);
          manifest = await build(file, 'shared', { ...opts, profiled, plan });
        }
        shared = { manifest, outputs };
        sharedWeightsBytes = manifest.functions.reduce((a, f) => a + f.weightsBytes, 0);
      }
    }

    for (const [k, g] of graphs.entries()) {
      if (layout === 'switch') break;
      const name = names[k]!;
      let rest: Manifest | undefined;
      if (!shared) {
        rest = await build(paths[k]!, name, opts);
      } else if (g.nodes.length > prefix.length) {
        const r = restOf(k);
        const sloMs = opts.plan.sloMs === undefined ? undefined : Math.max(1, opts.plan.sloMs - shared.manifest.functions.reduce((s, f) => s + f.predictedMs, 0));
        rest = await build(r.file, name, { ...opts, profiling: r.profiling, plan: { ...opts.plan, sloMs } });
      }
      manifests.push(merged(name, opened[k]!.loaded.hash, g, shared?.manifest, rest));
    }
    for (const m of manifests) writeFileSync(join(outDir, `${m.model}.manifest.json`), `${JSON.stringify(m, null, 2)}\n`);

    const users = new Map<string, string[]>();
    for (const m of manifests) {
      for (const f of new Set(m.functions.flatMap((fn) => [fn.file, ...(fn.data ? [fn.data.file] : [])]))) users.set(f, [...(users.get(f) ?? []), m.model]);
    }
    const fleet: FleetRecord = {
      kind: 'mopar.fleet', version: 1,
      models: names.map((name) => ({ name, manifest: `${name}.manifest.json` })),
      layout,
      shared: [...users].filter(([, ms]) => ms.length > 1).map(([file, models]) => ({ file, models })),
      cut: {
        sharedNodes: prefix.length,
        models: graphs.map((g, k) => ({ name: names[k]!, divergence: prefix.divergence[k] ?? null, ownNodes: g.nodes.length - prefix.length })),
      },
    };
    writeFileSync(join(outDir, 'fleet.json'), `${JSON.stringify(fleet, null, 2)}\n`);
    return { fleet, manifests, filesBytes: [...written.values()].reduce((a, b) => a + b, 0), sharedWeightsBytes };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Model names from file names (`a.onnx` → `a`), made unique with a suffix. */
function uniqueNames(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  return paths.map((p) => {
    const base = basename(p).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
    let n = base;
    for (let i = 2; seen.has(n); i++) n = `${base}-${i}`;
    seen.add(n);
    return n;
  });
}

/**
 * The tensors the shared prefix hands on, in the first model's names: every prefix tensor a model's own part
 * reads, or that is a model output. A Constant's tensor is not one (the remainder copies the Constant).
 */
function boundary(graphs: readonly Graph[], prefix: ReturnType<typeof commonPrefix>): string[] {
  const out = new Set<string>();
  graphs.forEach((g, k) => {
    const inPrefix = new Set(prefix.nodes[k]);
    for (const name of prefix.nodes[k]!) {
      for (const o of g.nodeByName.get(name)!.outputs) {
        const t = g.tensors.get(o)!;
        if (t.kind === 'constant' && !t.isGraphOutput) continue;
        if (t.isGraphOutput || t.consumers.some((c) => !inPrefix.has(c))) out.add(prefix.rename[k]!.get(o) ?? o);
      }
    }
  });
  // In the first model's production order (stable function interfaces).
  const order = graphs[0]!.nodes.slice(0, prefix.length).flatMap((n) => n.outputs);
  return order.filter((o) => out.has(o));
}

/** A remainder reading the prefix's tensors under the first model's names (node protos cloned, not changed). */
function renamed(model: ModelProto, all: Map<string, string>): ModelProto {
  const g = model.graph!;
  // Only what crosses from the prefix: a prefix Constant the remainder reads is copied in under its own name.
  const rename = new Map(g.input.flatMap((vi) => (all.has(vi.name) ? [[vi.name, all.get(vi.name)!] as const] : [])));
  if (!rename.size) return model;
  g.node = g.node.map((n) => {
    if (!n.input.some((i) => rename.has(i))) return n;
    const c = clone(NodeProtoSchema, n);
    c.input = c.input.map((i) => rename.get(i) ?? i);
    return c;
  });
  g.input = g.input.map((vi) => {
    const to = rename.get(vi.name);
    if (!to) return vi;
    const c = clone(ValueInfoProtoSchema, vi);
    c.name = to;
    return c;
  });
  return model;
}

/** What a fleet's shared functions are named by in every model's manifest (`shared.<function>`). */
export const SHARED_FUNCTION_PREFIX = 'shared.';

/** One model's manifest: the shared functions (renamed `shared.*`) followed by its own. */
function merged(name: string, modelHash: string, g: Graph, shared: Manifest | undefined, rest: Manifest | undefined): Manifest {
  const parts = [shared, rest].filter((m): m is Manifest => !!m);
  const first = parts[0]!;
  const renameShared = (f: ManifestFunction): ManifestFunction => ({ ...f, name: `${SHARED_FUNCTION_PREFIX}${f.name}`, group: `${SHARED_FUNCTION_PREFIX}${f.group}` });
  const functions = [...(shared?.functions.map(renameShared) ?? []), ...(rest?.functions ?? [])];
  // Only what this model reads: a shared output another model needs is simply not consumed here.
  const tensors: Record<string, TensorSpec> = {};
  for (const m of parts) Object.assign(tensors, m.tensors);
  // The hand-offs between the parts are sized as built (the remainder's input shapes), not published with -1.
  for (const [t, shape] of Object.entries(shared && rest ? rest.inputShapes ?? {} : {})) {
    if (tensors[t] && !g.inputs.includes(t)) tensors[t] = { dtype: tensors[t]!.dtype, shape };
  }
  const known = new Map<string, ManifestEdge>();
  for (const m of parts) for (const e of m.edges) if (!known.has(e.tensor) || e.from !== '$input') known.set(e.tensor, e);
  const producer = new Map<string, string>();
  for (const f of functions) for (const o of f.outputs) producer.set(o, f.name);
  const edges = new Map<string, ManifestEdge>();
  const edge = (t: string): ManifestEdge => {
    let e = edges.get(t);
    if (!e) {
      const from = producer.get(t) ?? '$input';
      e = { tensor: t, from, to: [], bytes: known.get(t)?.bytes ?? 0, transport: known.get(t)?.transport ?? 'inline' };
      edges.set(t, e);
    }
    return e;
  };
  for (const f of functions) for (const i of f.inputs) edge(i).to.push(f.name);
  for (const o of g.outputs) edge(o).to.push('$output');
  const files = new Map<string, number>();
  for (const m of parts) for (const f of m.functions) files.set(f.file, 0);
  const maxBatch = first.maxBatch;
  return {
    kind: 'mopar.manifest', version: 1, model: name, modelHash,
    platform: first.platform, strategy: rest?.strategy ?? first.strategy,
    ...(maxBatch !== undefined ? { maxBatch } : {}),
    inputs: g.inputs, outputs: g.outputs, tensors, functions, edges: [...edges.values()],
    inputShapes: first.inputShapes,
    filesBytes: parts.reduce((s, m) => s + (m.filesBytes ?? 0), 0),
    dedupedFiles: functions.length - files.size,
  };
}

function sizeOf(path: string): number {
  return statSync(path).size;
}

/** DIR holds a fleet (DIR/fleet.json). */
export function isFleet(dir: string): boolean {
  return existsSync(join(dir, 'fleet.json'));
}

/** Reads DIR/fleet.json: each model's name and the absolute path of its manifest (confined to DIR). */
export function loadFleet(dir: string): { fleet: FleetRecord; models: Array<{ name: string; path: string }> } {
  const file = join(dir, 'fleet.json');
  const raw = readJsonFile(file, 'fleet');
  if ((raw as { kind?: unknown } | null)?.kind !== 'mopar.fleet') {
    throw new MoparError(`${file} is not a mopar fleet (expected kind 'mopar.fleet' with models)`);
  }
  const fleet = validate<FleetRecord>('fleet', raw, file);
  const models = fleet.models.map((m, i) => {
    const where = `${file}: models[${i}]`;
    // The manifest reader confines the function files to the manifest's folder; the manifest itself stays in DIR.
    if (isAbsolute(m.manifest) || m.manifest.split(/[\\/]/).includes('..')) throw new MoparError(`${where}.manifest must be a path inside ${dir}: ${JSON.stringify(m.manifest)}`);
    return { name: m.name, path: resolve(dir, m.manifest) };
  });
  return { fleet, models };
}

/** The manifest path of model `name` of the fleet in DIR (an error naming the models when there is none). */
export function fleetManifest(dir: string, name: string): string {
  const { models } = loadFleet(dir);
  const m = models.find((x) => x.name === name);
  if (!m) throw new MoparError(`${dir} has no model '${name}' (its fleet holds ${models.map((x) => x.name).join(', ')})`);
  return m.path;
}
