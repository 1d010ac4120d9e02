/**
 * Built directories made by hand for deploy tests (`mopar build` is written in parallel): a model cut into
 * functions with extractModel, one ONNX file each plus manifest.json, and the unsplit model's reference run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { sha256File } from '../../src/core/index.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GraphBuilder, extractModel, withSymbolicBatch, openModel, openSession, randomInputs, runSession, saveModel, tensorBytes,
  type DType, type Feeds, type Graph, type InputShapes,
} from '../../src/graph/index.js';
import type { Manifest, ManifestFunction } from '../../src/partition/types.js';
import type { ModelProto } from '../../src/graph/onnx.js';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export function tmpDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `mopar-deploy-${tag}-`));
}
export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A generated Dockerfile sets each of `env` (LEAN_MALLOC_ENV: core/malloc.ts) with an `ENV KEY=value` line (value
 * bare or double-quoted) before its CMD, so the process CMD starts has them.
 */
export function assertMallocEnvBeforeCmd(dockerfile: string, env: Readonly<Record<string, string>>): void {
  const lines = dockerfile.split('\n');
  const cmd = lines.findIndex((l) => l.startsWith('CMD '));
  assert.ok(cmd > 0, 'the Dockerfile has a CMD');
  for (const [k, v] of Object.entries(env)) {
    const at = lines.findIndex((l) => l.startsWith(`ENV ${k}=`));
    assert.ok(at >= 0, `ENV ${k} in the Dockerfile`);
    const raw = lines[at]!.slice(`ENV ${k}=`.length);
    assert.equal(raw.startsWith('"') ? JSON.parse(raw) : raw, v, k);
    assert.ok(at < cmd, `ENV ${k} before CMD`);
  }
}

/** What `npm install` would give a generated folder: onnxruntime-node reachable from OUT/node_modules. */
export function linkOrt(out: string): void {
  mkdirSync(join(out, 'node_modules'), { recursive: true });
  const link = join(out, 'node_modules', 'onnxruntime-node');
  if (!existsSync(link)) symlinkSync(join(ROOT, 'node_modules', 'onnxruntime-node'), link, 'dir');
}

export interface Part { name: string; nodes: string[]; group?: string }

/** Cuts the non-Constant nodes (topological order) into `k` consecutive parts; extraction pulls Constants in. */
export function chunks(g: Graph, k: number): Part[] {
  const nodes = g.nodes.filter((n) => !n.isConstant && n.op !== 'Constant').map((n) => n.name);
  const size = Math.ceil(nodes.length / k);
  const parts: Part[] = [];
  for (let i = 0; i * size < nodes.length; i++) parts.push({ name: `s${i}`, nodes: nodes.slice(i * size, (i + 1) * size) });
  return parts;
}

export interface Built { dir: string; modelPath: string; manifest: Manifest; graph: Graph; shapes: InputShapes }

/** Writes model.onnx, one file per part and manifest.json into `dir`. */
export async function writeBuiltDir(model: ModelProto, dir: string, parts: Part[] | number, name = 'toy'): Promise<Built> {
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, 'model.onnx');
  saveModel(model, modelPath);
  const { graph, inputShapes } = await openModel(modelPath);
  const cut = typeof parts === 'number' ? chunks(graph, parts) : parts;
  const tensors: Manifest['tensors'] = {};
  const spec = (t: string) => {
    const info = graph.tensors.get(t)!;
    // A symbolic dim (a dynamic batch) is -1 in a manifest.
    tensors[t] = { dtype: (info.dtype ?? 'float32') as DType, shape: (info.shape ?? []).map((d, i) => (typeof info.symbolicShape?.[i] === 'string' ? -1 : Number(d))) };
  };
  const functions: ManifestFunction[] = cut.map((p) => {
    const { model: extracted, piece } = extractModel(graph, p.nodes);
    // As `mopar build` writes them: a dynamic batch stays symbolic in every function file.
    const sub = withSymbolicBatch(graph, extracted);
    const file = `${p.name}.onnx`;
    saveModel(sub, join(dir, file));
    [...piece.inputs, ...piece.outputs].forEach(spec);
    const weightsBytes = piece.initializers.reduce((a, n) => a + (graph.tensors.get(n)?.shape ? tensorBytes(graph.tensors.get(n)!.dtype ?? 'float32', graph.tensors.get(n)!.shape!.map(Number)) : 0), 0);
    return {
      name: p.name, file, sha256: sha256File(join(dir, file)), inputs: piece.inputs, outputs: piece.outputs, group: p.group ?? p.name,
      memoryMB: 256, vcpu: 0.5, threads: 1, weightsBytes, predictedMs: 1,
    };
  });
  graph.inputs.forEach(spec);
  graph.outputs.forEach(spec);
  const manifest: Manifest = {
    kind: 'mopar.manifest', version: 1, model: name, modelHash: '', platform: 'openfaas', strategy: 'test',
    inputs: graph.inputs, outputs: graph.outputs, tensors, functions, edges: [], original: 'model.onnx',
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, modelPath, manifest, graph, shapes: inputShapes };
}

/** Random inputs and the unsplit model's outputs on them. */
export async function reference(b: Built, seed = 7): Promise<{ feeds: Feeds; expected: Feeds }> {
  const feeds = randomInputs(b.graph, b.shapes, seed);
  const s = await openSession(b.modelPath);
  try {
    return { feeds, expected: await runSession(s, feeds) };
  } finally {
    await s.release();
  }
}

/** max |a−b| / max |b| over every output (0 when equal). */
export function maxRelErr(got: Feeds, expected: Feeds): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const g = got[name];
    if (!g) throw new Error(`missing output '${name}'`);
    if (g.dims.join() !== e.dims.join()) throw new Error(`output '${name}': shape [${g.dims}] ≠ [${e.dims}]`);
    const ea = Array.from(e.data as ArrayLike<number | bigint>, Number);
    const ga = Array.from(g.data as ArrayLike<number | bigint>, Number);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < ea.length; i++) {
      diff = Math.max(diff, Math.abs(ga[i]! - ea[i]!));
      scale = Math.max(scale, Math.abs(ea[i]!));
    }
    worst = Math.max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}

function weights(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = (s / 2147483648 - 0.5) * 0.5; }
  return a;
}

/** x[1,D] → MatMul → Relu → three parallel MatMuls (one group) → Sum → y: a Parallel stage of 3 branches. */
export async function writeBranchyDir(dir: string, D = 16, H = 32): Promise<Built> {
  const b = new GraphBuilder('branchy');
  const x = b.input('x', 'float32', [1, D]);
  const h = b.node('MatMul', [x, b.init('w1', 'float32', [D, H], weights(D * H, 1))], {}, { name: 'mm1' });
  const r = b.node('Relu', [h], {}, { name: 'relu' });
  const br = ['a', 'b', 'c'].map((k, i) => b.node('MatMul', [r, b.init(`w${k}`, 'float32', [H, 8], weights(H * 8, i + 2))], {}, { name: `mm${k}` }));
  const s = b.node('Sum', br, {}, { name: 'sum' });
  b.node('Identity', [s], {}, { name: 'out', outputNames: ['y'] });
  b.output('y', 'float32', [1, 8]);
  return writeBuiltDir(b.model(17), dir, [
    { name: 'head', nodes: ['mm1', 'relu'] },
    { name: 'pa', nodes: ['mma'], group: 'wide' },
    { name: 'pb', nodes: ['mmb'], group: 'wide' },
    { name: 'pc', nodes: ['mmc'], group: 'wide' },
    { name: 'tail', nodes: ['sum', 'out'] },
  ], 'branchy');
}

/**
 * Runs one command line exactly as the generated README gives it (`sh -c`, in the output folder), with `mopar`
 * on PATH (this checkout's CLI) and `env` added: how the end-to-end tests call a deployment.
 */
export async function runReadmeLine(out: string, line: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  const bin = join(out, '.test-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'mopar'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'mopar.js')}" "$@"\n`, { mode: 0o755 });
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], {
      cwd: out, env: { ...process.env, MOPAR_FROM_SOURCE: '1', ...env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${line} timed out`)); }, 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** The shell block of OUT/README.md, line by line (the commands a user runs). */
export function readmeCommands(out: string): string[] {
  const text = readFileSync(join(out, 'README.md'), 'utf8');
  const m = /```sh\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('README.md has no sh block');
  return m[1]!.trim().split('\n');
}

/** The unsplit model's outputs on request.json's inputs (what the README's call must answer). */
export async function referenceForRequest(b: Built, requestFile: string): Promise<Feeds> {
  const req = JSON.parse(readFileSync(requestFile, 'utf8')) as { inputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
  const feeds: Feeds = {};
  for (const i of req.inputs) {
    if (i.datatype !== 'FP32') throw new Error(`referenceForRequest: ${i.datatype} inputs are not handled here`);
    feeds[i.name] = { dtype: 'float32', dims: i.shape, data: Float32Array.from(i.data) };
  }
  const s = await openSession(b.modelPath);
  try {
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}

/** `mopar invoke --json` output as feeds (float outputs). */
export function invokeOutputs(stdout: string): Feeds {
  const r = JSON.parse(stdout) as { outputs: { name: string; shape: number[]; data: number[] }[] };
  return Object.fromEntries(r.outputs.map((o) => [o.name, { dtype: 'float32', dims: o.shape, data: Float32Array.from(o.data) }]));
}
