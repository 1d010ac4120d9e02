/** What `serve` can serve: a built folder, a manifest file, or a plain ONNX file (as one unsplit function). */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { MoparError } from '../core/index.js';
import { buildGraph, inspectGraph, loadModel, type DType } from '../graph/index.js';
import { loadManifest, type Manifest, type ManifestFunction } from '../partition/index.js';

/**
 * A manifest read from DIR/manifest.json (or a manifest file itself: a fleet's `<name>.manifest.json`), or
 * synthesised for a plain ONNX file (one function, unsplit).
 */
export function loadServable(path: string): { manifest: Manifest; dir: string } {
  if (!existsSync(path)) throw new MoparError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory() || /\.json$/i.test(path)) {
    const { manifest, dir } = loadManifest(path);
    return { manifest, dir };
  }
  const facts = inspectGraph(buildGraph(loadModel(path).proto));
  const name = basename(path).replace(/\.onnx$/i, '');
  const tensors: Manifest['tensors'] = {};
  for (const t of [...facts.inputs, ...facts.outputs]) {
    tensors[t.name] = { dtype: t.dtype as DType, shape: t.shape.map((d) => (typeof d === 'number' ? d : -1)) };
  }
  const fn: ManifestFunction = {
    name, file: basename(path), sha256: '', inputs: facts.inputs.map((t) => t.name), outputs: facts.outputs.map((t) => t.name),
    group: name, memoryMB: 0, vcpu: 1, threads: 1, weightsBytes: facts.paramBytes, predictedMs: 0,
  };
  return {
    dir: dirname(resolve(path)),
    manifest: {
      kind: 'mopar.manifest', version: 1, model: name, modelHash: '', platform: 'local', strategy: 'unsplit',
      inputs: fn.inputs, outputs: fn.outputs, tensors, functions: [fn], edges: [],
    },
  };
}
