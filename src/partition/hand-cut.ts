/**
 * Manifests cut by hand: a model's nodes named per function, written as one ONNX file per function plus
 * manifest.json — no profile or plan. For tests and runtime benches that need a particular cut (a parallel
 * group, a chain of k pieces, one transport on every edge) rather than the planner's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../core/index.js';
import { extractModel, openModel, saveModel, tensorBytes, type DType, type Graph } from '../graph/index.js';
import type { Transport } from '../plan/index.js';
import type { Manifest, ManifestEdge, ManifestFunction } from './types.js';

/**
 * Cuts `modelPath` into functions (each a list of node names; functions with the same group label run in
 * parallel) and writes OUTDIR/manifest.json. Every edge gets `transport`; `extra` fills every function's fields.
 */
export async function writeManifest(modelPath: string, outDir: string, parts: Array<{ name: string; nodes: string[]; group?: string }>,
  transport: Transport | ((tensor: string) => Transport) = 'inline', extra: Partial<ManifestFunction> = {}): Promise<Manifest> {
  mkdirSync(outDir, { recursive: true });
  const { graph } = await openModel(modelPath);
  const tensors: Manifest['tensors'] = {};
  const spec = (g: Graph, n: string) => {
    const t = g.tensors.get(n)!;
    tensors[n] = { dtype: t.dtype as DType, shape: (t.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)) };
  };
  const functions: ManifestFunction[] = [];
  for (const p of parts) {
    const { model, piece } = extractModel(graph, p.nodes);
    const file = `${p.name}.onnx`;
    saveModel(model, join(outDir, file));
    for (const n of [...piece.inputs, ...piece.outputs]) spec(graph, n);
    functions.push({
      name: p.name, file, sha256: sha256File(join(outDir, file)), inputs: piece.inputs, outputs: piece.outputs, group: p.group ?? p.name,
      memoryMB: 512, vcpu: 1, threads: 1, weightsBytes: 0, predictedMs: 0, ...extra,
    });
  }
  for (const n of [...graph.inputs, ...graph.outputs]) spec(graph, n);
  const producer = new Map<string, string>();
  for (const f of functions) for (const o of f.outputs) producer.set(o, f.name);
  const edges: ManifestEdge[] = [];
  const seen = new Set<string>();
  for (const f of functions) {
    for (const i of f.inputs) {
      if (seen.has(i)) continue;
      seen.add(i);
      const to = functions.filter((g) => g.inputs.includes(i)).map((g) => g.name);
      const t = tensors[i]!;
      edges.push({ tensor: i, from: producer.get(i) ?? '$input', to, bytes: tensorBytes(t.dtype, t.shape), transport: typeof transport === 'function' ? transport(i) : transport });
    }
  }
  const manifest: Manifest = {
    kind: 'mopar.manifest', version: 1, model: 'toy', modelHash: '', platform: 'aws-lambda', strategy: 'test',
    inputs: graph.inputs, outputs: graph.outputs, tensors, functions, edges,
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** Cuts a model's nodes into `k` consecutive chunks (a valid chain: nodes are in topological order). */
export async function writeChunkedManifest(modelPath: string, outDir: string, k: number, transport: Transport | ((t: string) => Transport) = 'inline', extra: Partial<ManifestFunction> = {}): Promise<Manifest> {
  const { graph } = await openModel(modelPath);
  const names = graph.nodes.filter((n) => !n.isConstant).map((n) => n.name);
  const size = Math.ceil(names.length / k);
  const parts = Array.from({ length: k }, (_, i) => ({ name: `s${i}`, nodes: names.slice(i * size, (i + 1) * size) })).filter((p) => p.nodes.length);
  return writeManifest(modelPath, outDir, parts, transport, extra);
}
