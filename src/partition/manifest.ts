/**
 * The one reader of manifest.json (verify, serve and deploy all load through it): the JSON Schema in
 * docs/schemas/manifest.schema.json for types and ranges, then what a schema cannot say: unique function
 * names, every tensor produced once, every input produced (or a model input or constant), constants that fill
 * their shape with values their dtype holds, no cycle, and every function file confined to the manifest's
 * folder and matching its sha256. A bad manifest is a MoparError naming the file and the field.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MoparError, sha256, sha256File, threadsFor, readJsonFile, validate } from '../core/index.js';
import { checkInputElements, externalDataLocations, type DType } from '../graph/index.js';
import type { Manifest, ManifestFunction } from './types.js';

export interface LoadManifestOptions {
  /** Check that every function file exists and matches its sha256 (default true). */
  checkFiles?: boolean;
}

export interface LoadedManifest {
  manifest: Manifest;
  /** Absolute path of the folder holding manifest.json (function files are relative to it). */
  dir: string;
  /** Absolute path of each function's file, by function name (confined to `dir`). */
  paths: Map<string, string>;
}

/** Reads and checks DIR/manifest.json (DIR may also name the manifest file itself). */
export function loadManifest(path: string, opts: LoadManifestOptions = {}): LoadedManifest {
  if (!existsSync(path)) {
    throw new MoparError(`partition directory not found: ${path} (no manifest.json; build one with 'mopar build' or 'mopar partition')`);
  }
  const isDir = statSync(path).isDirectory();
  const file = isDir ? join(path, 'manifest.json') : path;
  if (!existsSync(file)) throw new MoparError(`${path} has no manifest.json (build it with 'mopar build' or 'mopar partition')`);
  const raw = readJsonFile(file, 'manifest');
  if ((raw as { kind?: unknown } | null)?.kind !== 'mopar.manifest') {
    throw new MoparError(`${file} is not a mopar manifest (expected kind 'mopar.manifest' with functions, inputs, outputs)`);
  }
  const manifest = withDefaults(validate<Manifest>('manifest', raw, file));
  const dir = resolve(isDir ? path : join(path, '..'));
  const paths = new Map<string, string>();
  manifest.functions.forEach((f, i) => {
    const where = `${file}: functions[${i}] ('${f.name}')`;
    const p = confinedPath(dir, f.file, `${where}.file`);
    paths.set(f.name, p);
    if (opts.checkFiles === false) return;
    if (!existsSync(p)) throw new MoparError(`${file}: function '${f.name}' file ${f.file} is missing`);
    checkContained(dir, p, `${where}.file`);
    const bytes = readFileSync(p);
    if (sha256(bytes) !== f.sha256) {
      throw new MoparError(`${file}: function '${f.name}' file ${f.file} does not match its sha256 (changed since it was built; build again)`);
    }
    // The tensors' external data are files read from this folder too (by onnxruntime, and shipped by deploy).
    for (const { tensor, location } of externalDataLocations(bytes, `${file}: function '${f.name}' file ${f.file}`)) {
      const what = `${file}: function '${f.name}' tensor '${tensor}' external data location ${JSON.stringify(location)}`;
      const d = confinedPath(dir, join(dirname(f.file), location), what, location);
      if (!existsSync(d)) throw new MoparError(`${what} is missing`);
      checkContained(dir, d, what);
    }
    if (f.data) {
      // onnxruntime looks for the data next to the .onnx under the name the .onnx records: the same folder.
      const d = confinedPath(dir, f.data.file, `${where}.data.file`);
      if (dirname(d) !== dirname(p)) throw new MoparError(`${where}.data.file must sit next to its function file ${f.file}: ${JSON.stringify(f.data.file)}`);
      if (!existsSync(d)) throw new MoparError(`${file}: function '${f.name}' data file ${f.data.file} is missing`);
      checkContained(dir, d, `${where}.data.file`);
      if (sha256File(d) !== f.data.sha256) {
        throw new MoparError(`${file}: function '${f.name}' data file ${f.data.file} does not match its sha256 (changed since it was built; build again)`);
      }
    }
  });
  if (manifest.original !== undefined) confinedPath(dir, manifest.original, `${file}: original`);
  // Before anything allocates one (a sample request, random inputs): a dynamic dim (-1) counts as 1.
  for (const name of manifest.inputs) {
    const spec = manifest.tensors[name];
    if (spec) checkInputElements(name, spec.shape.map((d) => (d < 0 ? 1 : d)), `${file}: model `);
  }
  checkConstants(manifest, file);
  checkDataflow(manifest, file);
  return { manifest, dir, paths };
}

/** The fields docs/contracts.md leaves optional, filled in so every reader sees a complete manifest. */
function withDefaults(m: Manifest): Manifest {
  m.version ??= 1;
  m.modelHash ??= '';
  m.platform ??= '';
  m.strategy ??= '';
  m.tensors ??= {};
  m.edges ??= [];
  for (const f of m.functions) {
    f.threads ??= threadsFor(f.vcpu);
    f.weightsBytes ??= 0;
    f.predictedMs ??= 0;
  }
  return m;
}

/**
 * A path relative to `dir` that stays inside it: no absolute path, no '..', nothing resolving outside. The one
 * rule for every file read from a partition folder (`given`: the text as written, when `file` was derived from it).
 */
function confinedPath(dir: string, file: string, where: string, given = file): string {
  if ([file, given].some((f) => isAbsolute(f) || /^[A-Za-z]:/.test(f) || f.split(/[\\/]/).includes('..'))) {
    throw new MoparError(`${where} must be a path inside the manifest's folder (no absolute path, no '..'): ${JSON.stringify(given)}`);
  }
  const p = resolve(dir, file);
  if (!isInside(dir, p)) throw new MoparError(`${where} leads outside the manifest's folder: ${JSON.stringify(given)}`);
  return p;
}

/** A symbolic link (of the file or a folder on its way) must not lead outside the folder either. */
function checkContained(dir: string, p: string, where: string): void {
  if (!isInside(realpathSync(dir), realpathSync(p))) throw new MoparError(`${where} is a link leading outside the manifest's folder`);
}

function isInside(dir: string, p: string): boolean {
  const r = relative(dir, p);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
}

/**
 * The range of values a constant of each dtype may hold: what the dtype holds, and for 64-bit integers what a
 * JSON number holds exactly (a larger one would reach the function rounded). bool is 0 or 1. Floats: any number.
 * The other dtypes have no JSON-number form (float16, bfloat16 and float8 are bit patterns; string, complex).
 */
const CONSTANT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-(2 ** 7), 2 ** 7 - 1], uint8: [0, 2 ** 8 - 1], int16: [-(2 ** 15), 2 ** 15 - 1], uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER], bool: [0, 1],
};
const CONSTANT_FLOATS: readonly DType[] = ['float32', 'float64'];

/**
 * Constants are the runtime's own tensors: none may also come from the client or a function (which of the two
 * a function got would depend on the runtime), each fills its shape with values its dtype holds, and its dtype
 * and shape go into `tensors` (where a deployed function's config reads every tensor's spec).
 */
function checkConstants(m: Manifest, file: string): void {
  for (const [name, c] of Object.entries(m.constants ?? {})) {
    const what = `${file}: constant '${name}'`;
    if (m.inputs.includes(name)) throw new MoparError(`${what} is also a model input (a tensor comes from the client or from the manifest, not both)`);
    const producer = m.functions.find((f) => f.outputs.includes(name));
    if (producer) throw new MoparError(`${what} is also an output of function '${producer.name}'`);
    const range = CONSTANT_RANGE[c.dtype];
    if (!range && !CONSTANT_FLOATS.includes(c.dtype)) {
      throw new MoparError(`${what} has dtype ${c.dtype}, which a constant cannot have (float32, float64, bool or an integer type)`);
    }
    const n = c.shape.reduce((a, d) => a * d, 1);
    if (c.data.length !== n) throw new MoparError(`${what}: ${c.data.length} values do not fill shape [${c.shape.join(', ')}] (${n} needed)`);
    const bad = range ? c.data.findIndex((v) => !Number.isInteger(v) || v < range[0] || v > range[1]) : -1;
    if (bad >= 0) {
      const allowed = c.dtype === 'bool' ? '0 or 1' : `an integer in [${range![0]}, ${range![1]}]${c.dtype.endsWith('64') ? ' (what a JSON number holds exactly)' : ''}`;
      throw new MoparError(`${what}: data[${bad}] = ${c.data[bad]} is not ${allowed}`);
    }
    const spec = m.tensors[name];
    if (spec && (spec.dtype !== c.dtype || spec.shape.join() !== c.shape.join())) {
      throw new MoparError(`${what} is ${c.dtype}[${c.shape.join(', ')}] but tensors['${name}'] says ${spec.dtype}[${spec.shape.join(', ')}]`);
    }
    m.tensors[name] = { dtype: c.dtype, shape: [...c.shape] };
  }
}

/** Names unique, each tensor produced once, every input and model output produced, no cycle. */
function checkDataflow(m: Manifest, file: string): void {
  const names = new Set<string>();
  const producer = new Map<string, ManifestFunction>();
  for (const f of m.functions) {
    if (names.has(f.name)) throw new MoparError(`${file}: function name '${f.name}' appears twice`);
    names.add(f.name);
    for (const t of f.outputs) {
      const other = producer.get(t);
      if (other || m.inputs.includes(t)) {
        throw new MoparError(`${file}: tensor '${t}' is produced by both '${other?.name ?? '$input'}' and '${f.name}'`);
      }
      producer.set(t, f);
    }
  }
  // A function may read a constant; a model output is still the client's input or a function's output.
  const given = new Set([...m.inputs, ...Object.keys(m.constants ?? {})]);
  for (const f of m.functions) {
    for (const t of f.inputs) {
      if (!given.has(t) && !producer.has(t)) throw new MoparError(`${file}: function '${f.name}' reads '${t}', which no function produces`);
    }
  }
  for (const t of m.outputs) {
    if (!m.inputs.includes(t) && !producer.has(t)) throw new MoparError(`${file}: model output '${t}' is produced by no function`);
  }
  // A cycle would leave the scheduler waiting: find it here, with the functions it involves.
  const available = new Set(given);
  let pending = m.functions;
  while (pending.length) {
    const ready = pending.filter((f) => f.inputs.every((t) => available.has(t)));
    if (!ready.length) throw new MoparError(`${file}: functions ${pending.map((f) => `'${f.name}'`).join(', ')} depend on each other in a cycle`);
    for (const f of ready) for (const t of f.outputs) available.add(t);
    pending = pending.filter((f) => !ready.includes(f));
  }
}
