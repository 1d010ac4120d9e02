import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, basename, resolve, relative, isAbsolute } from 'node:path';
import { MoparError, errorMessage, sha256 } from '../core/index.js';
import {
  fromBinary, toBinary, create, clearField, isFieldSet, ModelProtoSchema, TensorProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation,
  type ModelProto, type TensorProto, type GraphProto,
} from './onnx.js';

/**
 * Default-domain opsets onnxruntime-node 1.30 executes. 26 is the highest its loader accepts (27 fails
 * ValidateOpsetForDomain); 7 is the oldest we test. Checked opset by opset in test/graph/opsets.test.ts.
 */
export const SUPPORTED_OPSETS = { min: 7, max: 26 } as const;

/** Largest protobuf message: bigger models must keep weights in external data files. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface LoadedModel {
  proto: ModelProto;
  /** Absolute path of the file it came from. */
  path: string;
  /** Size of the .onnx file itself (external data not counted). */
  fileBytes: number;
  /** True when some tensors were stored in external data files (now resolved into rawData). */
  hadExternalData: boolean;
  /** sha256 of the .onnx file's bytes: the key for cached shapes and profiles (computed on first read). */
  readonly hash: string;
}

/** Loads and validates an ONNX model; external-data tensors are read into memory (one copy, by range). */
export function loadModel(path: string): LoadedModel {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new MoparError(`model file not found: ${path}`);
  const st = statSync(abs);
  if (st.isDirectory()) throw new MoparError(`expected an ONNX file but got a directory: ${path}`);
  if (st.size === 0) throw new MoparError(`model file is empty: ${path}`);
  const bytes = readFileSync(abs);
  const proto = decodeModel(bytes, path);
  const hadExternalData = resolveExternalData(proto, dirname(abs), path);
  // Hashing 500 MB takes seconds and `inspect` never needs it: compute it lazily, once. Holding `bytes` costs
  // nothing extra, the decoded weights are views into it.
  let hash: string | undefined;
  return {
    proto, path: abs, fileBytes: st.size, hadExternalData,
    get hash() { return (hash ??= sha256(bytes)); },
  };
}

/** Decodes ONNX bytes and checks that they really are a model we can run. */
export function decodeModel(bytes: Uint8Array, where = 'model'): ModelProto {
  if (bytes.length === 0) throw new MoparError(`model file is empty: ${where}`);
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (err) {
    const msg = errorMessage(err);
    const truncated = /premature|EOF|out of range|index out of range/i.test(msg);
    throw new MoparError(
      truncated ? `${where} is truncated or corrupt (protobuf decoding stopped early: ${msg})`
        : `${where} is not an ONNX model (protobuf decoding failed: ${msg})`);
  }
  validateModel(proto, where);
  return proto;
}

function validateModel(proto: ModelProto, where: string): void {
  if (!proto.graph || (proto.graph.node.length === 0 && proto.graph.output.length === 0)) {
    throw new MoparError(`${where} is not an ONNX model (it has no graph)`);
  }
  if (proto.irVersion <= 0n || proto.irVersion > 100n) {
    throw new MoparError(`${where} is not an ONNX model (ir_version ${proto.irVersion} is not valid)`);
  }
  const opset = defaultOpset(proto);
  if (opset === undefined) throw new MoparError(`${where} declares no opset for the default ONNX domain`);
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new MoparError(
      `${where} uses opset ${opset}; mopar supports opsets ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max} ` +
      `(the ones onnxruntime-node executes)`);
  }
}

/** The default-domain ('' or 'ai.onnx') opset version, or undefined when absent. */
export function defaultOpset(proto: ModelProto): number | undefined {
  const imp = proto.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return imp ? Number(imp.version) : undefined;
}

/** Every TensorProto in the model: initializers and tensor attributes, in subgraphs too. */
export function forEachTensor(graph: GraphProto, fn: (t: TensorProto) => void): void {
  for (const t of graph.initializer) fn(t);
  for (const s of graph.sparseInitializer) {
    if (s.values) fn(s.values);
    if (s.indices) fn(s.indices);
  }
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.t) fn(a.t);
      for (const t of a.tensors) fn(t);
      if (a.g) forEachTensor(a.g, fn);
      for (const g of a.graphs) forEachTensor(g, fn);
    }
  }
}

/**
 * The external-data `location` of every tensor of an encoded model, without loading any data (what a reader of
 * a folder must confine before onnxruntime or a deploy follows them). Bytes without the text 'location' hold
 * none, so a model with inline weights is not decoded.
 */
export function externalDataLocations(bytes: Uint8Array, where = 'model'): Array<{ tensor: string; location: string }> {
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('location')) return [];
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (err) {
    throw new MoparError(`${where} is not an ONNX model (protobuf decoding failed: ${errorMessage(err)})`);
  }
  const out: Array<{ tensor: string; location: string }> = [];
  if (proto.graph) {
    forEachTensor(proto.graph, (t) => {
      // onnxruntime follows `location` entries whatever data_location says: check every one.
      for (const e of t.externalData) if (e.key === 'location') out.push({ tensor: t.name, location: e.value });
    });
  }
  return out;
}

function resolveExternalData(proto: ModelProto, baseDir: string, where: string): boolean {
  if (!proto.graph) return false;
  const fds = new Map<string, number>();
  let found = false;
  try {
    forEachTensor(proto.graph, (t) => {
      if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) return;
      found = true;
      const info = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
      const location = info.location;
      if (!location) throw new MoparError(`${where}: tensor '${t.name}' is external but names no location`);
      const file = resolve(baseDir, location);
      // The ONNX spec keeps external data next to the model; refuse paths that climb out of its folder.
      if (isAbsolute(location) || relative(baseDir, file).startsWith('..')) {
        throw new MoparError(`${where}: tensor '${t.name}' points outside the model's folder for its data ('${location}')`);
      }
      if (!existsSync(file)) {
        throw new MoparError(`${where}: external data file '${location}' of tensor '${t.name}' not found next to the model`);
      }
      let fd = fds.get(file);
      if (fd === undefined) { fd = openSync(file, 'r'); fds.set(file, fd); }
      const offset = Number(info.offset ?? 0);
      const length = info.length !== undefined ? Number(info.length) : statSync(file).size - offset;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        throw new MoparError(`${where}: external data of '${t.name}' has an invalid offset/length (${info.offset}, ${info.length}) in ${location}`);
      }
      const buf = Buffer.allocUnsafe(length);
      const n = readSync(fd, buf, 0, length, offset);
      if (n !== length) {
        throw new MoparError(`${where}: external data for '${t.name}' is truncated (${n} of ${length} bytes in ${location})`);
      }
      t.rawData = buf;
      t.externalData = [];
      // onnx.proto is proto2: clear the field rather than set it to DEFAULT, or it is written out explicitly.
      clearField(t, TensorProtoSchema.field.dataLocation);
    });
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return found;
}

export interface SaveOptions {
  /**
   * Store tensors of at least this many bytes in a side file `<name>.data` next to the model
   * (required above protobuf's 2 GB message limit). Off by default.
   */
  externalDataThreshold?: number;
}

/** Encodes a model (weights inline). Throws a clear error above protobuf's 2 GB limit. */
export function encodeModel(proto: ModelProto): Uint8Array {
  try {
    return toBinary(ModelProtoSchema, proto);
  } catch (err) {
    throw new MoparError(`cannot encode model: ${errorMessage(err)} (models over 2 GB need external data)`);
  }
}

export function saveModel(proto: ModelProto, path: string, opts: SaveOptions = {}): void {
  if (opts.externalDataThreshold === undefined) {
    const bytes = encodeModel(proto);
    if (bytes.length > PROTOBUF_LIMIT) throw new MoparError('model over 2 GB: save it with external data');
    writeFileSync(path, bytes);
    return;
  }
  saveWithExternalData(proto, path, opts.externalDataThreshold);
}

function saveWithExternalData(proto: ModelProto, path: string, threshold: number): void {
  const dataName = `${basename(path)}.data`;
  const fd = openSync(join(dirname(path), dataName), 'w');
  let offset = 0;
  // Swap raw data out temporarily so the caller's model is left as it was.
  const restore: Array<() => void> = [];
  try {
    if (proto.graph) {
      forEachTensor(proto.graph, (t) => {
        if (t.rawData.length < threshold) return;
        const raw = t.rawData;
        // 4 KiB alignment lets runtimes mmap the weights.
        const pad = (4096 - (offset % 4096)) % 4096;
        if (pad) { writeSync(fd, Buffer.alloc(pad)); offset += pad; }
        writeSync(fd, raw);
        const prev = { ext: t.externalData, loc: t.dataLocation, locSet: isFieldSet(t, TensorProtoSchema.field.dataLocation) };
        t.externalData = [
          mkEntry('location', dataName), mkEntry('offset', String(offset)), mkEntry('length', String(raw.length)),
        ];
        t.dataLocation = TensorProto_DataLocation.EXTERNAL;
        t.rawData = new Uint8Array(0);
        offset += raw.length;
        restore.push(() => {
          t.rawData = raw;
          t.externalData = prev.ext;
          if (prev.locSet) t.dataLocation = prev.loc;
          else clearField(t, TensorProtoSchema.field.dataLocation);
        });
      });
    }
    writeFileSync(path, encodeModel(proto));
  } finally {
    closeSync(fd);
    for (const r of restore) r();
  }
}

function mkEntry(key: string, value: string) {
  return create(StringStringEntryProtoSchema, { key, value });
}

/** Bytes of every tensor's inline data (what an in-memory encoding must carry). */
export function inlineTensorBytes(proto: ModelProto): number {
  let n = 0;
  if (proto.graph) forEachTensor(proto.graph, (t) => { n += t.rawData.length; });
  return n;
}

/**
 * Above this many bytes of weights a model is handed to onnxruntime as a file with external data: onnxruntime
 * (protobuf C++) refuses messages over 2 GiB, and the margin leaves room for the graph itself.
 */
export const INLINE_SESSION_LIMIT = 1.5 * 2 ** 30;

/**
 * What onnxruntime should open for an in-memory model: its encoding, or for one past INLINE_SESSION_LIMIT a
 * temporary copy saved with external data (call `dispose` once the session is released).
 */
export function sessionSource(proto: ModelProto): { model: string | Uint8Array; dispose(): void } {
  if (inlineTensorBytes(proto) <= INLINE_SESSION_LIMIT) return { model: encodeModel(proto), dispose() {} };
  const dir = mkdtempSync(join(tmpdir(), 'mopar-ext-'));
  try {
    saveModel(proto, join(dir, 'model.onnx'), { externalDataThreshold: 1024 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { model: join(dir, 'model.onnx'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A model whose larger tensors live in one data file: the .onnx bytes, and the data file's name, size and hash. */
export interface ExternalEncoding {
  onnx: Uint8Array;
  dataFile: string;
  dataBytes: number;
  dataSha256: string;
  /** Writes the data file (4 KiB-aligned tensors, zero padding). */
  writeData(path: string): void;
}

/**
 * Encodes `proto` with every tensor of at least `minBytes` moved to one external data file whose name is
 * `name(sha256 of its bytes)`, so identical weights are stored once (content addressing, as partition files are).
 * The caller's model is left as it was.
 */
export function encodeWithExternalData(proto: ModelProto, name: (dataSha256: string) => string, minBytes = 1024): ExternalEncoding {
  const moved: Array<{ t: TensorProto; offset: number; raw: TensorProto["rawData"] }> = [];
  let end = 0;
  if (proto.graph) {
    forEachTensor(proto.graph, (t) => {
      if (t.rawData.length < minBytes) return;
      const offset = Math.ceil(end / 4096) * 4096;
      moved.push({ t, offset, raw: t.rawData });
      end = offset + t.rawData.length;
    });
  }
  const pieces = function* (): Generator<Uint8Array<ArrayBufferLike>> {
    let at = 0;
    for (const m of moved) {
      if (m.offset > at) yield new Uint8Array(m.offset - at);
      yield m.raw;
      at = m.offset + m.raw.length;
    }
  };
  const h = createHash('sha256');
  for (const b of pieces()) h.update(b);
  const dataSha256 = h.digest('hex');
  const dataFile = name(dataSha256);
  const restore: Array<() => void> = [];
  let onnx: Uint8Array;
  try {
    for (const m of moved) {
      const t = m.t;
      const prev = { ext: t.externalData, loc: t.dataLocation, locSet: isFieldSet(t, TensorProtoSchema.field.dataLocation) };
      t.externalData = [mkEntry('location', dataFile), mkEntry('offset', String(m.offset)), mkEntry('length', String(m.raw.length))];
      t.dataLocation = TensorProto_DataLocation.EXTERNAL;
      t.rawData = new Uint8Array(0);
      restore.push(() => {
        t.rawData = m.raw;
        t.externalData = prev.ext;
        if (prev.locSet) t.dataLocation = prev.loc;
        else clearField(t, TensorProtoSchema.field.dataLocation);
      });
    }
    onnx = encodeModel(proto);
  } finally {
    for (const r of restore) r();
  }
  return {
    onnx, dataFile, dataBytes: end, dataSha256,
    writeData(path: string) {
      const fd = openSync(path, 'w');
      try {
        for (const b of pieces()) for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
      } finally {
        closeSync(fd);
      }
    },
  };
}
