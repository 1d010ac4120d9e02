/**
 * Streams a zoo model to an ONNX file without materialising its weights. Protobuf lets a message's fields come
 * in any order and concatenates repeated fields, and every length is known up front (a weight's byte size is
 * 4 × its element count), so the file is written as
 *   ModelProto-without-graph ‖ graph field { graph-without-initializers ‖ initializer field × N }
 * with each initializer's raw_data generated chunk by chunk. Peak memory is the graph structure plus one chunk.
 * With `externalData`, the lazy weights' bytes go to `<file>.data` instead (4 KiB-aligned, as graph/onnx-io
 * saveModel lays it out) and the .onnx keeps only their location/offset/length: the one way past protobuf's
 * 2 GiB message limit (a protobuf-es writer, like protobuf itself, cannot encode a message that large).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { MoparError, errorMessage } from '../core/index.js';
import {
  create, toBinary, GraphProtoSchema, ModelProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema, TensorProto_DataLocation, type ModelProto,
} from '../graph/index.js';
import { chunks, numelOf, type LazyWeight } from './weights.js';

// Tags: (field number << 3) | wire type 2 (length-delimited).
const MODEL_GRAPH = (7 << 3) | 2;
const GRAPH_INITIALIZER = (5 << 3) | 2;
const TENSOR_RAW_DATA = (9 << 3) | 2;

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
  return Uint8Array.from(out);
}

interface Piece { header: Uint8Array; rawLen: number; lazy?: LazyWeight; raw?: Uint8Array; external?: { offset: number; length: number } }

const ALIGN = 4096;

export interface StreamResult { bytes: number; dataFile?: string; dataBytes?: number }

/**
 * Writes `model` (whose lazy weights are empty) to `file`, generating lazy weights from `seed`. Returns bytes
 * written (the .onnx and, with `externalData`, the data file `<file>.data` next to it).
 */
export function streamModel(model: ModelProto, lazy: readonly LazyWeight[], seed: number, file: string, opts: { externalData?: boolean } = {}): StreamResult {
  const graph = model.graph!;
  const byName = new Map(lazy.map((w) => [w.name, w]));
  const dataName = `${basename(file)}.data`;
  let dataEnd = 0;
  const pieces: Piece[] = graph.initializer.map((t) => {
    const w = byName.get(t.name);
    if (w && opts.externalData) {
      const offset = Math.ceil(dataEnd / ALIGN) * ALIGN;
      const length = 4 * numelOf(w.dims);
      dataEnd = offset + length;
      const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
      const header = toBinary(TensorProtoSchema, create(TensorProtoSchema, {
        name: t.name, dataType: t.dataType, dims: t.dims, dataLocation: TensorProto_DataLocation.EXTERNAL,
        externalData: [entry('location', dataName), entry('offset', String(offset)), entry('length', String(length))],
      }));
      return { header, rawLen: 0, lazy: w, external: { offset, length } };
    }
    const header = toBinary(TensorProtoSchema, create(TensorProtoSchema, { name: t.name, dataType: t.dataType, dims: t.dims }));
    return w ? { header, rawLen: 4 * numelOf(w.dims), lazy: w } : { header, rawLen: t.rawData.length, raw: t.rawData };
  });
  const tensorLen = (p: Piece) => p.header.length + (p.external ? 0 : 1 + varint(p.rawLen).length + p.rawLen);
  const head = toBinary(ModelProtoSchema, create(ModelProtoSchema, { ...model, graph: undefined }));
  const structure = toBinary(GraphProtoSchema, create(GraphProtoSchema, { ...graph, initializer: [] }));
  let graphLen = structure.length;
  for (const p of pieces) { const n = tensorLen(p); graphLen += 1 + varint(n).length + n; }

  const open = (path: string) => {
    try {
      return openSync(path, 'w');
    } catch (err) {
      throw new MoparError(`cannot write ${path}: ${errorMessage(err)}`);
    }
  };
  const fd = open(file);
  let dataFd: number | undefined;
  let written = 0;
  let dataWritten = 0;
  const putTo = (to: number, b: Uint8Array) => {
    for (let off = 0; off < b.length;) off += writeSync(to, b, off, b.length - off);
    return b.length;
  };
  const put = (b: Uint8Array) => { written += putTo(fd, b); };
  try {
    if (opts.externalData) dataFd = open(`${file}.data`);
    put(head);
    put(Uint8Array.of(MODEL_GRAPH)); put(varint(graphLen)); put(structure);
    for (const p of pieces) {
      put(Uint8Array.of(GRAPH_INITIALIZER)); put(varint(tensorLen(p))); put(p.header);
      if (p.external) {
        if (p.external.offset > dataWritten) dataWritten += putTo(dataFd!, new Uint8Array(p.external.offset - dataWritten));
        for (const c of chunks(p.lazy!, seed)) dataWritten += putTo(dataFd!, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
        continue;
      }
      put(Uint8Array.of(TENSOR_RAW_DATA)); put(varint(p.rawLen));
      if (p.raw) put(p.raw);
      else for (const c of chunks(p.lazy!, seed)) put(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    }
  } finally {
    closeSync(fd);
    if (dataFd !== undefined) closeSync(dataFd);
  }
  return opts.externalData ? { bytes: written + dataWritten, dataFile: `${file}.data`, dataBytes: dataWritten } : { bytes: written };
}
