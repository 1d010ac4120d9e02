/** Weight tensors as bytes: slicing an initializer along one axis (so a part stores only its share). */
import { MoparError, TYPED_ARRAYS, type DType } from '../../core/index.js';
import { dtypeBytes, dtypeFromCode } from '../dtype.js';
import { create, TensorProtoSchema, type TensorProto } from '../onnx.js';

const INT32_DATA = new Set<DType>(['int32', 'int16', 'int8', 'uint8', 'uint16', 'bool', 'float16']);

/** Little-endian raw bytes of a tensor, whichever field the file used. */
export function rawBytes(t: TensorProto): Uint8Array {
  if (t.rawData.length) return t.rawData;
  const dtype = dtypeFromCode(t.dataType);
  const n = t.dims.reduce((a, d) => a * Number(d), 1);
  if (n === 0) return new Uint8Array(0);
  let arr: ArrayBufferView;
  if (t.floatData.length) arr = Float32Array.from(t.floatData);
  else if (t.doubleData.length) arr = Float64Array.from(t.doubleData);
  else if (t.int64Data.length) arr = BigInt64Array.from(t.int64Data);
  else if (t.uint64Data.length) arr = BigUint64Array.from(t.uint64Data);
  else if (t.int32Data.length) {
    // int32_data holds every type of 32 bits or fewer, one element per value.
    const ctor = INT32_DATA.has(dtype) ? TYPED_ARRAYS[dtype] : undefined;
    if (!ctor) throw new MoparError(`cannot read tensor '${t.name}' of type ${dtype} stored in int32_data`);
    const a = new ctor(t.int32Data.length) as Int32Array;
    a.set(t.int32Data);
    arr = a;
  } else throw new MoparError(`tensor '${t.name}' has no data in a field mopar reads`);
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** A new initializer named `name` holding rows [lo, hi) of `t` along `axis`. */
export function sliceTensor(t: TensorProto, name: string, axis: number, lo: number, hi: number): TensorProto {
  const dims = t.dims.map(Number);
  const elem = dtypeBytes(dtypeFromCode(t.dataType));
  if (!Number.isInteger(elem) || elem <= 0) throw new MoparError(`cannot slice tensor '${t.name}' of sub-byte or string type`);
  const src = rawBytes(t);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1) * elem;
  const rowBytes = inner;
  const out = new Uint8Array(outer * (hi - lo) * rowBytes);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    const start = (i * dims[axis]! + lo) * rowBytes;
    out.set(src.subarray(start, start + (hi - lo) * rowBytes), o);
    o += (hi - lo) * rowBytes;
  }
  const newDims = [...dims];
  newDims[axis] = hi - lo;
  return create(TensorProtoSchema, { name, dataType: t.dataType, dims: newDims.map(BigInt), rawData: out });
}

/** Integer values of a small int64/int32 tensor (e.g. `axes` inputs). */
export function intValues(t: TensorProto): number[] {
  const dtype = dtypeFromCode(t.dataType);
  // A copy of exactly these bytes: for a loaded file rawData is a Buffer view, whose slice() is a view too.
  const copy = new Uint8Array(rawBytes(t));
  if (dtype === 'int64') return [...new BigInt64Array(copy.buffer)].map(Number);
  if (dtype === 'int32') return [...new Int32Array(copy.buffer)];
  throw new MoparError(`tensor '${t.name}' is ${dtype}, expected integers`);
}

export function tensorByteSize(t: TensorProto): number {
  try { return rawBytes(t).length; } catch { return 0; }
}
