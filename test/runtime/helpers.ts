/**
 * Test manifests made by hand (the build stage is written in parallel): a tiny model with a parallel group,
 * cut with extractModel, written as one ONNX file per function plus manifest.json.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sha256File } from '../../src/core/index.js';
import { join } from 'node:path';
import { GraphBuilder, extractModel, openModel, saveModel, tensorBytes, type Graph, type DType } from '../../src/graph/index.js';
import type { Manifest, ManifestFunction, ManifestEdge } from '../../src/partition/types.js';
import type { Transport } from '../../src/runtime/index.js';

export function tmpDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `mopar-rt-${tag}-`));
  return d;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function weights(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = (s / 2147483648 - 0.5) * 0.5; }
  return a;
}

/** x[1,D] → MatMul → Relu → (MatMul a ‖ MatMul b) → Add → y[1,8]. Returns the ONNX path. */
export function writeToyModel(dir: string, D = 16, H = 32): string {
  const b = new GraphBuilder('toy');
  const x = b.input('x', 'float32', [1, D]);
  const w1 = b.init('w1', 'float32', [D, H], weights(D * H, 1));
  const h = b.node('MatMul', [x, w1], {}, { name: 'mm1' });
  const r = b.node('Relu', [h], {}, { name: 'relu' });
  const wa = b.init('wa', 'float32', [H, 8], weights(H * 8, 2));
  const wb = b.init('wb', 'float32', [H, 8], weights(H * 8, 3));
  const a = b.node('MatMul', [r, wa], {}, { name: 'mma' });
  const c = b.node('MatMul', [r, wb], {}, { name: 'mmb' });
  const y = b.node('Add', [a, c], {}, { name: 'add' });
  const out = b.node('Identity', [y], {}, { name: 'out' });
  b.outputs.length = 0;
  b.output(out, 'float32', [1, 8]);
  const path = join(dir, 'toy.onnx');
  saveModel(b.model(17), path);
  return path;
}

/** x[1,4] → MatMul → y[1,N]: an output of N floats (wide enough to cross by /dev/shm). Returns the ONNX path. */
export function writeWideOutputModel(dir: string, n: number): string {
  const b = new GraphBuilder('wide');
  const x = b.input('x', 'float32', [1, 4]);
  const w = b.init('w', 'float32', [4, n], weights(4 * n, 5));
  const y = b.node('MatMul', [x, w], {}, { name: 'mm' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, n]);
  const path = join(dir, `wide-${n}.onnx`);
  saveModel(b.model(17), path);
  return path;
}

/**
 * Cuts `modelPath` into functions (each a list of node names; functions with the same group label run in
 * parallel) and writes DIR/manifest.json. Every edge gets `transport`.
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

/** The toy model cut into 4 functions: mm1+relu → (mma ‖ mmb) → add+out. */
export async function writeToyManifest(dir: string, transport: Transport | ((t: string) => Transport) = 'inline', D = 16): Promise<{ model: string; dir: string; manifest: Manifest }> {
  const model = writeToyModel(dir, D);
  const out = join(dir, 'part');
  const manifest = await writeManifest(model, out, [
    { name: 'head', nodes: ['mm1', 'relu'] },
    { name: 'left', nodes: ['mma'], group: 'g1' },
    { name: 'right', nodes: ['mmb'], group: 'g1' },
    { name: 'tail', nodes: ['add', 'out'] },
  ], transport);
  return { model, dir: out, manifest };
}

/** A model that takes a while (~0.1–0.3 s): `n` chained 512×512 MatMuls on a [512,512] input. */
export function writeSlowModel(dir: string, n = 24): string {
  const b = new GraphBuilder('slow');
  let x = b.input('x', 'float32', [512, 512]);
  const w = b.init('w', 'float32', [512, 512], weights(512 * 512, 5).map((v) => v * 0.1));
  for (let i = 0; i < n; i++) x = b.node('MatMul', [x, w], {}, { name: `mm${i}` });
  b.output(x, 'float32', [512, 512]);
  const path = join(dir, 'slow.onnx');
  saveModel(b.model(17), path);
  return path;
}

/** Cuts a model's nodes into `k` consecutive chunks (a valid chain: nodes are in topological order). */
export async function writeChunkedManifest(modelPath: string, outDir: string, k: number, transport: Transport | ((t: string) => Transport) = 'inline', extra: Partial<ManifestFunction> = {}): Promise<Manifest> {
  const { graph } = await openModel(modelPath);
  const names = graph.nodes.filter((n) => !n.isConstant).map((n) => n.name);
  const size = Math.ceil(names.length / k);
  const parts = Array.from({ length: k }, (_, i) => ({ name: `s${i}`, nodes: names.slice(i * size, (i + 1) * size) })).filter((p) => p.nodes.length);
  return writeManifest(modelPath, outDir, parts, transport, extra);
}

/** After a test changed function `fn`'s file on purpose: record the file's new sha256 in DIR/manifest.json. */
export function rehash(dir: string, fn: string): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  const file = m.functions.find((f) => f.name === fn)!.file;
  const hash = sha256File(join(dir, file));
  for (const f of m.functions) if (f.file === file) f.sha256 = hash;
  writeFileSync(path, JSON.stringify(m, null, 2));
}
