/**
 * Profile → plan → build as one library call (`partitionModel`), used by the CLI (`plan`, `partition`), bench
 * cells and the demo. `modelProfile` is its first step on its own, for callers that plan one profile many times
 * (bench: every platform × strategy).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, errorMessage, sha256File } from '../core/index.js';
import { openModel, rangeText, type Graph, type InputRanges } from '../graph/index.js';
import { DEFAULT_MAX_BATCH, planPartition, type Plan, type PlanOptions } from '../plan/index.js';
import { DEFAULT_PROFILE_RUNS, loadProfile, profileModel, saveProfile, type Profile, type ProfileOptions } from '../profile/index.js';
import { buildPartition } from './build.js';
import type { Manifest } from './types.js';

export { DEFAULT_PROFILE_RUNS, type ProfileOptions };

export interface ModelProfileOptions {
  /** How to profile when no usable saved profile is given (the one definition of the profiling options). */
  profiling?: ProfileOptions;
  /**
   * A saved profile. 'use' (plan --profile): it must be for this model file and the requested input shapes,
   * else an error. 'cache' (bench, demo): used when it is, else the model is profiled and the file rewritten.
   */
  profileFile?: { path: string; mode: 'use' | 'cache' };
}

export interface ProfiledModel {
  profile: Profile;
  /** The graph at the profile's input shapes (lets the planner charge horizontal splits their real halos). */
  graph: Graph;
}

/** Step 1: a profile of the model (saved or measured) and its graph at the profiled shapes. */
export async function modelProfile(modelPath: string, opts: ModelProfileOptions = {}): Promise<ProfiledModel> {
  const saved = opts.profileFile;
  let profile: Profile | undefined;
  if (saved) {
    let hash: string;
    try {
      hash = sha256File(modelPath);
    } catch (err) {
      throw new MoparError(`cannot read model ${modelPath}: ${errorMessage(err)}`);
    }
    if (saved.mode === 'use') {
      profile = loadProfile(saved.path, hash);
      checkShapes(profile, saved.path, opts.profiling);
    } else {
      try { profile = loadProfile(saved.path, hash); checkShapes(profile, saved.path, opts.profiling); } catch { profile = undefined; }
    }
  }
  if (!profile) {
    profile = await profileModel(modelPath, opts.profiling);
    if (saved?.mode === 'cache') saveProfile(profile, saved.path);
  }
  const { graph } = await openModel(modelPath, profile.inputShapes, { ranges: profile.inputRanges });
  return { profile, graph };
}

/** A saved profile answers only for the input shapes (and ranges) it was measured at. */
function checkShapes(profile: Profile, path: string, want: ProfileOptions | undefined): void {
  const ranges = (r: InputRanges | undefined) => JSON.stringify(Object.entries(r ?? {}).sort());
  // No --input at all takes the profile's shapes and ranges as they are.
  if (want && Object.keys(want.inputShapes ?? {}).length && ranges(profile.inputRanges) !== ranges(want.inputRanges)) {
    throw new MoparError(`profile ${path} was made with other --input ranges (${ranges(profile.inputRanges)}) than asked (${ranges(want.inputRanges)}); profile it again with these --input shapes`);
  }
  for (const [name, dims] of Object.entries(want?.inputShapes ?? {})) {
    const had = profile.inputShapes[name];
    if (!had || had.join(',') !== dims.join(',')) {
      throw new MoparError(`profile ${path} was made with ${name}=${had?.join(',') ?? '(absent)'}, `
        + `not ${name}=${dims.join(',')} (profile it again with these --input shapes)`);
    }
  }
}

export interface PartitionModelOptions extends ModelProfileOptions {
  /** Planning (platform, strategy, SLO); the graph comes from the profiling step. */
  plan: Omit<PlanOptions, 'graph'>;
  /** An already profiled model (skips step 1; bench and demo plan one profile several times). */
  profiled?: { profile: Profile; graph?: Graph };
  /** Build the functions into this folder (absent: stop after planning). */
  outDir?: string;
  /** With `outDir`: also write DIR/profile.json and DIR/plan.json (`mopar partition`). */
  writeRecords?: boolean;
  /** Called with the plan before the (slower) build starts. */
  onPlan?: (plan: Plan) => void;
}

export interface PartitionedModel {
  profile: Profile;
  graph?: Graph;
  plan: Plan;
  /** Present when `outDir` was given. */
  manifest?: Manifest;
}

/** Profile (or reuse a profile) → plan → build (when `outDir` is given). */
export async function partitionModel(modelPath: string, opts: PartitionModelOptions): Promise<PartitionedModel> {
  const profiled = opts.profiled ?? await modelProfile(modelPath, opts);
  const plan = planPartition(profiled.profile, { ...opts.plan, graph: profiled.graph, maxBatch: maxBatchFor(profiled.graph, opts.plan.maxBatch) });
  if (opts.plan.maxBatch !== undefined && plan.maxBatch === undefined) {
    plan.notes = [...(plan.notes ?? []), `--max-batch ${opts.plan.maxBatch} does not apply: the model's batch is fixed (${fixedWhy(profiled.graph)})`];
  }
  opts.onPlan?.(plan);
  if (!opts.outDir) return { ...profiled, plan };
  if (opts.writeRecords) {
    mkdirSync(opts.outDir, { recursive: true });
    saveProfile(profiled.profile, join(opts.outDir, 'profile.json'));
    writeFileSync(join(opts.outDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  }
  const manifest = await buildPartition(modelPath, plan, opts.outDir);
  return { ...profiled, plan, manifest };
}

/**
 * The max batch to size a model for: the one asked for (else DEFAULT_MAX_BATCH) where the graph keeps a dynamic
 * batch dim; none where the batch is fixed (its shapes already bound every request; an asked one only bounds
 * `--apps` batching plans then). Without a graph (a caller that planned a profile alone) only an explicit one.
 */
export function maxBatchFor(graph: Graph | undefined, asked: number | undefined): number | undefined {
  if (!graph) return asked;
  if (!graph.batch?.dynamic) return undefined;
  // A range on the batch dim (--input NAME=LO..HI,…) says the max batch: HI.
  const batchRanges = Object.entries(graph.ranges ?? {}).flatMap(([name, rs]) => (rs[0] ? [{ name, r: rs[0] }] : []));
  const his = [...new Set(batchRanges.map((b) => b.r[1]))];
  if (his.length > 1) throw new MoparError(`--input ranges disagree on the batch dim: ${batchRanges.map((b) => `${b.name} ${rangeText(b.r)}`).join(', ')}`);
  if (his.length === 1 && asked !== undefined && asked !== his[0]) {
    throw new MoparError(`--max-batch ${asked} and the batch range ${rangeText(batchRanges[0]!.r)} of --input ${batchRanges[0]!.name} disagree (a batch range's top is the max batch)`);
  }
  return his[0] ?? asked ?? DEFAULT_MAX_BATCH;
}

function fixedWhy(graph: Graph | undefined): string {
  const b = graph?.batch;
  return b && !b.dynamic ? b.why : 'no symbolic leading dim';
}
