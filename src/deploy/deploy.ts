/** deploy(): a built directory → one target's artifacts (OpenFaaS, Lambda + Step Functions, Knative), the runtime bundles and a README. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { MoparError } from '../core/index.js';
import { readManifestForDeploy } from './manifest.js';
import { deployFleet, readFleetForDeploy } from './fleet.js';
import { runtimeBundle } from './bundle.js';
import { deployTarget } from './targets.js';
import { writeReadme } from './readme.js';
import { readBatchingPlan } from './batching.js';
import { checkWeightsOptions } from './weights.js';
import { minScaleFor } from './scale.js';
import { DEPLOY_TARGETS, type DeployOptions, type DeployResult } from './types.js';

/** Marks a folder as `mopar deploy` output: only such a folder is ever replaced (with --force). */
const MARKER = '.mopar-deploy';
/** Container registry when neither --registry nor MOPAR_REGISTRY is given: a local one (kind, k3d, minikube). */
export const LOCAL_REGISTRY = 'localhost:5000';

const inside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep));
};

export async function deploy(dir: string, out: string, opts: DeployOptions): Promise<DeployResult> {
  const target = deployTarget(opts.target);
  if (!target) throw new MoparError(`unknown deploy target '${opts.target}' (choose one of: ${DEPLOY_TARGETS.join(', ')})`);
  checkWeightsOptions(target, opts);
  // A fleet (fleet.json): every model deployed, the functions they share once (fleet.ts).
  const fleet = readFleetForDeploy(resolve(dir), target, opts);
  const input = fleet ? fleet.models[0]!.input : readManifestForDeploy(resolve(dir));
  if (opts.batching) input.batching = readBatchingPlan(opts.batching, input.manifest);
  const outDir = resolve(out);
  if (inside(resolve(dir), outDir) || inside(outDir, resolve(dir))) throw new MoparError('the output folder must be outside the build folder (and not contain it)');
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!opts.force) throw new MoparError(`${out} is not empty; choose an empty folder, or --force to replace an earlier mopar deploy output`);
    // Only a folder mopar wrote is deleted: --force on anything else would lose files mopar never made.
    if (!existsSync(resolve(outDir, MARKER))) throw new MoparError(`${out} is not empty and is not an earlier mopar deploy output; --force replaces only those`);
  }
  const runtimes = { function: await runtimeBundle('function'), gateway: await runtimeBundle('gateway') };
  const registry = opts.registry ?? (process.env.MOPAR_REGISTRY || undefined);
  const warnings = !registry && target.cluster
    ? [`no --registry (or MOPAR_REGISTRY): images are tagged ${LOCAL_REGISTRY}/…, a registry only a local cluster pulls from`] : [];
  // Written into a staging folder beside OUT (same filesystem) and renamed into place once complete: a failure
  // leaves no partial OUT, and an earlier deploy replaced with --force stays until the new one is whole.
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.mopar-staging-`));
  try {
    writeFileSync(resolve(staging, MARKER), `${opts.target}\n`);
    // Only cluster targets keep a minimum (Lambda's provisioned concurrency is not emitted: it scales to zero).
    const scaling = target.cluster ? minScaleFor(resolve(dir), opts.minScale) : undefined;
    const deployOpts = { ...opts, minScale: scaling?.minScale, registry: registry ?? (target.cluster ? LOCAL_REGISTRY : undefined) };
    const staged = fleet ? await deployFleet(fleet, target, staging, deployOpts, runtimes) : await target.deploy(input, staging, deployOpts, runtimes);
    if (scaling) staged.scaling = scaling;
    staged.warnings.push(...warnings, ...(input.batching?.warnings ?? []));
    staged.weights ??= { source: 'image', notes: [] };
    // What the result and the README say (paths, `cd OUT`) is where the folder will be, not the staging folder.
    const res = relocated(staged, staging, outDir);
    const readme = { ...res, out: staging, files: [] as string[] };
    writeReadme(readme, input.manifest, target);
    res.files.push(...relocated(readme.files, staging, outDir));
    // Only an empty folder or an earlier mopar deploy gets here (checked above).
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
    return res;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** `value` with every string's `from` path prefix replaced by `to`. */
function relocated<T>(value: T, from: string, to: string): T {
  if (typeof value === 'string') return value.split(from).join(to) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => relocated(v, from, to)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocated(v, from, to)])) as T;
  return value;
}
