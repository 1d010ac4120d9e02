/**
 * Streams a zoo model to an ONNX file without materialising its weights. Protobuf lets a message's fields come
 * in any order and concatenates repeated fields, and every length is known up front (a weight's byte size is
 * 4 × its element count), so the file is written as
 *   ModelProto-without-graph ‖ graph field { graph-without-initializers ‖ initializer field × N }
 * with each initializer's raw_data generated chunk by chunk. Peak memory is the graph structure plus one chunk.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { MoparError, errorMessage } from '../core/index.js';
import { create, toBinary, GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, type ModelProto } from '../graph/index.js';
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

interface Piece { header: Uint8Array; rawLen: number; lazy?: LazyWeight; raw?: Uint8Array }

/** Writes `model` (whose lazy weights are empty) to `file`, generating lazy weights from `seed`. Returns bytes written. */
export function streamModel(model: ModelProto, lazy: readonly LazyWeight[], seed: number, file: string): number {
  const graph = model.graph!;
  const byName = new Map(lazy.map((w) => [w.name, w]));
  const pieces: Piece[] = graph.initializer.map((t) => {
    const header = toBinary(TensorProtoSchema, create(TensorProtoSchema, { name: t.name, dataType: t.dataType, dims: t.dims }));
    const w = byName.get(t.name);
    return w ? { header, rawLen: 4 * numelOf(w.dims), lazy: w } : { header, rawLen: t.rawData.length, raw: t.rawData };
  });
  const tensorLen = (p: Piece) => p.header.length + 1 + varint(p.rawLen).length + p.rawLen;
  const head = toBinary(ModelProtoSchema, create(ModelProtoSchema, { ...model, graph: undefined }));
  const structure = toBinary(GraphProtoSchema, create(GraphProtoSchema, { ...graph, initializer: [] }));
  let graphLen = structure.length;
  for (const p of pieces) { const n = tensorLen(p); graphLen += 1 + varint(n).length + n; }

  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (err) {
    throw new MoparError(`cannot write ${file}: ${errorMessage(err)}`);
  }
  let written = 0;
  const put = (b: Uint8Array) => {
    for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
    written += b.length;
  };
  try {
    put(head);
    put(Uint8Array.of(MODEL_GRAPH)); put(varint(graphLen)); put(structure);
    for (const p of pieces) {
      put(Uint8Array.of(GRAPH_INITIALIZER)); put(varint(tensorLen(p))); put(p.header);
      put(Uint8Array.of(TENSOR_RAW_DATA)); put(varint(p.rawLen));
      if (p.raw) put(p.raw);
      else for (const c of chunks(p.lazy!, seed)) put(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
