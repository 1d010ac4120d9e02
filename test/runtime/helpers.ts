/**
 * Test fixtures of the runtime: temporary folders, the toy model cut by hand into a parallel group, and models
 * made to be wide or slow.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sha256File } from '../../src/core/index.js';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { writeManifest, type Manifest } from '../../src/partition/index.js';
import type { Transport } from '../../src/runtime/index.js';
import { toyWeights as weights, writeToyModel } from '../../src/zoo/index.js';

// The hand-cut manifests and the toy model live in src (partition, zoo) so that the runtime benches use them too.
export { writeManifest, writeChunkedManifest } from '../../src/partition/index.js';
export { toyWeights as weights, writeToyModel } from '../../src/zoo/index.js';

export function tmpDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `mopar-rt-${tag}-`));
  return d;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
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

/** After a test changed function `fn`'s file on purpose: record the file's new sha256 in DIR/manifest.json. */
export function rehash(dir: string, fn: string): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  const file = m.functions.find((f) => f.name === fn)!.file;
  const hash = sha256File(join(dir, file));
  for (const f of m.functions) if (f.file === file) f.sha256 = hash;
  writeFileSync(path, JSON.stringify(m, null, 2));
}
