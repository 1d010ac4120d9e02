/**
 * `mopar deploy --batching PLAN`: the batching groups of a plan made by `mopar plan MODEL --apps … -o PLAN`
 * (docs/batching.md), checked against the built directory, and the platform settings that follow from them.
 * The deployed entry batches exactly as `mopar serve --batching` does: it runs the runtime's Batcher
 * (src/runtime/batcher.ts) over the function chain.
 */
import { MoparError, readJsonFile, validate } from '../core/index.js';
import { batchingFromPlan, type BatchingConfig } from '../runtime/index.js';
import type { Manifest } from '../partition/index.js';

export interface DeployBatchGroup {
  /** The Batcher's group name: the application names joined with '+'. */
  name: string;
  apps: { name: string; sloMs: number }[];
  maxBatch: number;
  timeoutMs: number;
  /** Tightest SLO of the group (ms). */
  sloMs: number;
}

export interface DeployBatching {
  /** The plan file, as given. */
  source: string;
  config: BatchingConfig;
  groups: DeployBatchGroup[];
  /** Differences between the plan's sizing and the built directory, said once in the deploy's warnings. */
  warnings: string[];
}

/** The fields of a plan document read here (the rest is the partition plan, checked where it is built from). */
interface BatchingPlanDoc {
  kind: 'mopar.plan';
  model: string;
  apps: { name: string; sloMs: number }[];
  groups: { apps: string[]; maxBatch: number; timeoutMs: number; functions?: { name?: string; memoryMB?: number }[] }[];
}

/**
 * Reads and checks the plan (docs/schemas/batching-plan.schema.json), that it is for the model of `manifest`, and
 * that the model batches (every input's leading dim dynamic), as the gateway's enableBatching does.
 */
export function readBatchingPlan(path: string, manifest: Manifest): DeployBatching {
  const label = `batching plan ${path}`;
  const raw = readJsonFile(path, 'batching plan');
  if (raw && typeof raw === 'object' && !Array.isArray((raw as { groups?: unknown }).groups)) {
    throw new MoparError(`${label} has no batching groups (make it with: mopar plan MODEL --apps FILE -o PLAN)`);
  }
  const doc = validate<BatchingPlanDoc>('batching-plan', raw, label);
  if (doc.model !== manifest.model) {
    throw new MoparError(`${label} is for model '${doc.model}', but the built directory holds '${manifest.model}' (plan that model with --apps)`);
  }
  for (const name of manifest.inputs) {
    const lead = manifest.tensors?.[name]?.shape[0];
    if (lead !== undefined && lead !== -1) {
      throw new MoparError(`--batching: input '${name}' of '${manifest.model}' has a fixed leading dim ${lead}, so requests cannot be batched (build the model with a dynamic batch dim, e.g. mopar zoo build NAME --batch dynamic)`);
    }
  }
  const { config } = batchingFromPlan(doc, label);
  const groups = config.groups.map((g): DeployBatchGroup => ({
    name: g.name ?? g.apps.map((a) => a.name).join('+'), apps: g.apps, maxBatch: g.maxBatch, timeoutMs: g.timeoutMs,
    sloMs: Math.min(...g.apps.map((a) => a.sloMs)),
  }));
  const warnings: string[] = [];
  const builtMB = Math.max(...manifest.functions.map((f) => f.memoryMB));
  doc.groups.forEach((g, i) => {
    const planned = (g.functions ?? []).map((f) => f.memoryMB ?? 0);
    if (planned.length === 0) return;
    const plannedMB = Math.max(...planned);
    if (planned.length !== manifest.functions.length || plannedMB > builtMB * 1.05) {
      warnings.push(`batching group ${groups[i]!.name}: the plan sized ${planned.length} function(s) of up to ${Math.round(plannedMB)} MB for batches of ${g.maxBatch}; `
        + `this deploy runs every group through the built directory's ${manifest.functions.length} function(s) of up to ${Math.round(builtMB)} MB (build from that group's functions to get its sizes)`);
    }
  });
  return { source: path, config: { groups: config.groups.map((g, i) => ({ ...g, name: groups[i]!.name })) }, groups, warnings };
}

/**
 * Requests one entry instance must hold at once for its batches to form: per group one batch filling while the
 * previous one runs through the chain (2 × maxBatch), summed over the groups.
 */
export function entryConcurrency(b: DeployBatching): number {
  return 2 * b.groups.reduce((s, g) => s + g.maxBatch, 0);
}

/** The requests one entry instance should carry before the autoscaler adds another: one full batch per group. */
export function entryTarget(b: DeployBatching): number {
  return b.groups.reduce((s, g) => s + g.maxBatch, 0);
}

/** One line per group for READMEs and annotations. */
export function groupLines(b: DeployBatching): string[] {
  return b.groups.map((g) => `\`${g.name}\` (apps ${g.apps.map((a) => `${a.name} ${a.sloMs} ms`).join(', ')}): at most ${g.maxBatch} requests per batch, dispatched after ${Math.round(g.timeoutMs)} ms or earlier when the earliest deadline in it needs`);
}

/** The groups as DeployResult.batching lists them. */
export function deployedGroups(b: DeployBatching) {
  return b.groups.map((g) => ({ name: g.name, apps: g.apps.map((a) => a.name), maxBatch: g.maxBatch, timeoutMs: g.timeoutMs, sloMs: g.sloMs }));
}
