/**
 * `mopar deploy DIR` on a fleet (issue 30: `mopar partition A.onnx B.onnx … -o DIR`): one deploy folder in which
 * every function file several models share is one function (named after the fleet, written and built once) and
 * each model has its own functions and its own entry, whose pipeline routes to the shared function. Each model is
 * deployed by its target as usual, skipping the shared functions an earlier model already wrote; the platform
 * files each call writes (stack.yml, knative.yaml, build-images.sh) are merged into one. Lambda is refused: its
 * template is one Step Functions chain per model and nothing here shares a function between state machines.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MoparError } from '../core/index.js';
import { isFleet, loadFleet } from '../partition/index.js';
import { readManifestForDeploy, platformNames, type DeployInput } from './manifest.js';
import { stringifyYaml } from './cfn-yaml.js';
import { GENERATED } from './folder.js';
import { buildImagesScript } from './k8s.js';
import type { Target } from './target.js';
import type { DeployOptions, DeployResult, Runtimes } from './types.js';

export interface FleetDeploy {
  /** Prefix of the shared functions' platform names. */
  prefix: string;
  models: Array<{ name: string; input: DeployInput }>;
  /** Function files more than one model references. */
  sharedFiles: Set<string>;
}

/** The fleet in `dir` read for deployment, or undefined where `dir` is no fleet; refuses what a fleet cannot do yet. */
export function readFleetForDeploy(dir: string, target: Target, opts: DeployOptions): FleetDeploy | undefined {
  if (!isFleet(dir)) return undefined;
  if (target.id === 'lambda') {
    throw new MoparError(`${dir} is a fleet (fleet.json): --target lambda does not deploy fleets yet (its SAM template is one Step Functions chain per model, and a function shared by several state machines is not emitted); use --target openfaas or knative`);
  }
  if (opts.batching) throw new MoparError(`${dir} is a fleet (fleet.json): --batching (one model's plan) is not supported for a fleet`);
  const { fleet, models } = loadFleet(dir);
  return {
    prefix: opts.name ?? basename(dir).replace(/\.parts$/, ''),
    models: models.map((m) => ({ name: m.name, input: readManifestForDeploy(m.path) })),
    sharedFiles: new Set(fleet.shared.map((s) => s.file)),
  };
}

/** Deploys every model of the fleet into `out` with `target`, shared functions once; one merged result. */
export async function deployFleet(f: FleetDeploy, target: Target, out: string, opts: DeployOptions, runtimes: Runtimes): Promise<DeployResult> {
  const sharedName = new Map<string, string>(); // function file → its platform name (written by the first model)
  const used = new Map<string, string>(); // platform name → the model and function that took it
  const results: DeployResult[] = [];
  const merged = new MergedFiles(target.id, out);
  for (const { name, input } of f.models) {
    const prefix = opts.name ? `${opts.name}-${name}` : name;
    const names = new Map<string, string>();
    const emitted = new Set<string>();
    for (const fn of input.functions) {
      const shared = f.sharedFiles.has(fn.file);
      if (shared && sharedName.has(fn.file)) emitted.add(fn.name);
      const platform = shared ? sharedName.get(fn.file) ?? platformNames(f.prefix, [fn]).get(fn.name)! : platformNames(prefix, [fn]).get(fn.name)!;
      const owner = `${shared ? 'shared' : name}/${fn.name}`;
      if (!emitted.has(fn.name) && used.has(platform) && used.get(platform) !== owner) {
        throw new MoparError(`fleet deploy: platform name '${platform}' would be used by both ${used.get(platform)} and ${owner} (choose another --name)`);
      }
      used.set(platform, owner);
      names.set(fn.name, platform);
      if (shared) sharedName.set(fn.file, platform);
    }
    const r = await target.deploy({ ...input, names, emitted }, out, { ...opts, name: prefix }, runtimes);
    merged.take();
    results.push(r);
  }
  merged.write();
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  return {
    ...results[0]!,
    files: unique(results.flatMap((r) => r.files)),
    functions: results.flatMap((r) => r.functions),
    commands: unique(results.flatMap((r) => r.commands ?? [])),
    warnings: unique(results.flatMap((r) => r.warnings)),
  };
}

/** The platform files each model's deploy writes, gathered after every model and written once at the end. */
class MergedFiles {
  private readonly stack: Record<string, unknown> = {};
  private stackHead?: Record<string, unknown>;
  private readonly docs: string[] = [];
  private readonly images: string[] = [];

  constructor(private readonly target: string, private readonly out: string) {}

  take(): void {
    if (this.target === 'openfaas') {
      const s = parseYaml(readFileSync(join(this.out, 'stack.yml'), 'utf8')) as { functions: Record<string, unknown> };
      this.stackHead ??= s;
      Object.assign(this.stack, s.functions);
    } else if (this.target === 'knative') {
      // Every document but the header comment; the services of each model after those of the models before.
      const text = readFileSync(join(this.out, 'knative.yaml'), 'utf8').replace(/^#.*\n/, '');
      this.docs.push(...text.split(/^---\n/m).filter((d) => d.trim()));
      const sh = join(this.out, 'build-images.sh');
      if (existsSync(sh)) this.images.push(...(/<<'IMAGES'\n([\s\S]*?)\nIMAGES/.exec(readFileSync(sh, 'utf8'))?.[1] ?? '').split('\n').filter(Boolean));
    }
  }

  write(): void {
    if (this.target === 'openfaas') {
      writeFileSync(join(this.out, 'stack.yml'), `# ${GENERATED} Deploy: faas-cli up -f stack.yml\n${stringifyYaml({ ...this.stackHead, functions: this.stack })}`);
    } else if (this.target === 'knative') {
      writeFileSync(join(this.out, 'knative.yaml'), `# ${GENERATED} Deploy: kubectl apply -f knative.yaml\n${this.docs.join('---\n')}`);
      writeFileSync(join(this.out, 'build-images.sh'), buildImagesScript([...new Set(this.images)]), { mode: 0o755 });
    }
  }
}
