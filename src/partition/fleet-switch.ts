/**
 * The `switch` layout of a fleet (issue 30): ONE function file holds the shared prefix and every model's own
 * part behind an `If` switch (graph/switch.ts); each model's manifest runs that one function with a constant
 * selector (`Manifest.constants`). Variants with sparse traffic each then share one instance that every model's
 * requests keep warm, and a request is one call (no hand-off, no second billing rounding), while each request
 * still computes only the prefix and its own head.
 *
 * Sized from the parts' own unsplit plans: memory = the parts' largest non-weight need (baseline, session,
 * activations) + every part's weights (all heads are loaded); vCPU at least the parts' largest; predicted
 * latency per model = prefix + its own part.
 */
import { existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, sha256File } from '../core/index.js';
import { loadModel, saveModel, switchModel, type Graph } from '../graph/index.js';
import { configsFor, getPlatform, type Plan } from '../plan/index.js';
import type { Manifest, ManifestEdge, ManifestFunction, TensorSpec } from './types.js';

/** The constant input that picks a model's own part inside a switch function. */
export const FLEET_SELECTOR = 'mopar.fleet.model';

/** A part (the prefix, or one model's remainder) built unsplit into a work folder, with its plan. */
export interface SwitchPart { manifest: Manifest; plan: Plan; dir: string }

export interface SwitchedFleet {
  /** The switch file's name in the fleet's folder (content-addressed) and its bytes. */
  file: string;
  bytes: number;
  manifests: Manifest[];
}

/**
 * Writes the switch function of `prefix` + `rests` (in the models' order) into `outDir` and one manifest per
 * model (not written: the caller does). Throws a MoparError where the layout does not apply (a part split into
 * several functions or kept external data, models with different outputs, no function size that holds it all).
 */
export function switchedFleet(
  names: readonly string[], graphs: readonly Graph[], modelHashes: readonly string[],
  prefix: SwitchPart, rests: readonly SwitchPart[], outDir: string, work: string, sharedFunction: string,
): SwitchedFleet {
  const parts = [prefix, ...rests];
  for (const p of parts) {
    if (p.manifest.functions.length !== 1) throw new MoparError(`part ${p.manifest.model} is ${p.manifest.functions.length} functions (a switch needs each part in one)`);
    if (p.manifest.functions[0]!.data) throw new MoparError(`part ${p.manifest.model} keeps its weights in an external data file`);
  }
  const fnOf = (p: SwitchPart) => p.manifest.functions[0]!;
  const planFnOf = (p: SwitchPart) => p.plan.functions[0]!;
  const outputs = graphs[0]!.outputs;
  graphs.forEach((g, k) => {
    if (g.outputs.join('\0') !== outputs.join('\0')) throw new MoparError(`model ${names[k]} has outputs [${g.outputs.join(', ')}], ${names[0]} [${outputs.join(', ')}]`);
    if (fnOf(rests[k]!).outputs.slice().sort().join('\0') !== [...outputs].sort().join('\0')) throw new MoparError(`the shared prefix produces a model output of ${names[k]}`);
  });

  const model = switchModel(loadModel(join(prefix.dir, fnOf(prefix).file)).proto, rests.map((r) => loadModel(join(r.dir, fnOf(r).file)).proto), { selector: FLEET_SELECTOR, graphName: 'fleet' });
  const tmp = join(work, 'switch.onnx');
  saveModel(model, tmp);
  const digest = sha256File(tmp);
  const file = `${digest.slice(0, 20)}.onnx`;
  if (existsSync(join(outDir, file))) unlinkSync(tmp);
  else renameSync(tmp, join(outDir, file));

  const bytes = statSync(join(outDir, file)).size;
  const platform = getPlatform(prefix.manifest.platform);
  const MiB = 2 ** 20;
  const weightsBytes = parts.reduce((s, p) => s + fnOf(p).weightsBytes, 0);
  const needMB = Math.max(...parts.map((p) => planFnOf(p).predicted.peakMB - fnOf(p).weightsBytes / MiB)) + weightsBytes / MiB;
  const minVcpu = Math.max(...parts.map((p) => fnOf(p).vcpu));
  const configs = configsFor(platform, needMB);
  if (!configs.length) throw new MoparError(`every part together needs ${Math.ceil(needMB)} MB, more than one ${platform.name} function holds`);
  const config = configs.find((c) => c.vcpu >= minVcpu - 1e-9) ?? configs[configs.length - 1]!;
  const threads = Math.max(...parts.map((p) => fnOf(p).threads));
  const group = sharedFunction;

  const manifests = graphs.map((g, k): Manifest => {
    const own = fnOf(rests[k]!);
    const fn: ManifestFunction = {
      name: sharedFunction, file, sha256: digest,
      inputs: [...g.inputs, FLEET_SELECTOR], outputs: [...outputs], group,
      memoryMB: config.memoryMB, vcpu: config.vcpu, threads, weightsBytes,
      predictedMs: fnOf(prefix).predictedMs + own.predictedMs,
      nodeCount: (fnOf(prefix).nodeCount ?? 0) + (own.nodeCount ?? 0),
    };
    const tensors: Record<string, TensorSpec> = {};
    for (const t of g.inputs) tensors[t] = prefix.manifest.tensors[t]!;
    for (const t of outputs) tensors[t] = rests[k]!.manifest.tensors[t]!;
    const bytesOf = (m: Manifest, t: string) => m.edges.find((e) => e.tensor === t)?.bytes ?? 0;
    const edges: ManifestEdge[] = [
      ...g.inputs.map((t): ManifestEdge => ({ tensor: t, from: '$input', to: [fn.name], bytes: bytesOf(prefix.manifest, t), transport: 'inline' })),
      ...outputs.map((t): ManifestEdge => ({ tensor: t, from: fn.name, to: ['$output'], bytes: bytesOf(rests[k]!.manifest, t), transport: 'inline' })),
    ];
    const maxBatch = prefix.manifest.maxBatch;
    return {
      kind: 'mopar.manifest', version: 1, model: names[k]!, modelHash: modelHashes[k]!,
      platform: prefix.manifest.platform, strategy: 'unsplit',
      ...(maxBatch !== undefined ? { maxBatch } : {}),
      inputs: [...g.inputs], outputs: [...outputs], tensors, functions: [fn], edges,
      constants: { [FLEET_SELECTOR]: { dtype: 'int64', shape: [], data: [k] } },
      ...(prefix.manifest.inputShapes ? { inputShapes: prefix.manifest.inputShapes } : {}),
      filesBytes: bytes, dedupedFiles: 0,
    };
  });
  return { file, bytes, manifests };
}
