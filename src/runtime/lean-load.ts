/**
 * Memory-lean loading: onnxruntime reads a model with embedded weights into one buffer, parses it, and then
 * copies every initializer out — peak ≈ 2–3× the weights. A model whose weights live in a 4 KiB-aligned
 * external-data file is loaded by memory-mapping it instead. So a function file with large embedded weights is
 * rewritten once into that form (cached by path, size and mtime) and the host loads the rewritten copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel, saveModel } from '../graph/index.js';

/** Weights below this stay embedded (not worth a second file). */
const MIN_TENSOR_BYTES = 1024;
/** Files below this are loaded as they are. */
const MIN_FILE_BYTES = 4 * 2 ** 20;

function cacheRoot(): string {
  return join(process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar'), 'lean');
}

function keyOf(file: string): string {
  const st = statSync(file);
  return createHash('sha256').update(`${resolve(file)}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 24);
}

/**
 * Removes rewrites whose source file is gone or changed (they can never be used again); returns how many.
 * Entries are only ever removed when stale, so a running gateway's instances keep loading theirs.
 */
export function sweepLeanCache(): number {
  const root = cacheRoot();
  let n = 0;
  let entries: string[];
  try { entries = readdirSync(root); } catch { return 0; }
  for (const e of entries) {
    if (e.endsWith('.tmp')) continue;
    const dir = join(root, e);
    let stale = true;
    try {
      const src = readFileSync(join(dir, 'source.txt'), 'utf8');
      stale = !existsSync(src) || keyOf(src) !== e;
    } catch { /* no source record: stale */ }
    if (stale) { rmSync(dir, { recursive: true, force: true }); n++; }
  }
  return n;
}

/** The path a host should load: `file` itself, or its external-data rewrite. */
export function leanModelPath(file: string): string {
  if (statSync(file).size < MIN_FILE_BYTES) return file;
  const key = keyOf(file);
  const dir = join(cacheRoot(), key);
  const out = join(dir, 'model.onnx');
  if (existsSync(out)) return out;
  const loaded = loadModel(file);
  // Already external (loadModel inlined it): rewriting is still right, it re-aligns the data for mmap.
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveModel(loaded.proto, join(tmp, 'model.onnx'), { externalDataThreshold: MIN_TENSOR_BYTES });
  writeFileSync(join(tmp, 'source.txt'), resolve(file));
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another gateway got there first
  }
  return out;
}
