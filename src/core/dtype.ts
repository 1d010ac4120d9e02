/**
 * The dtype table: every ONNX element type with its TensorProto code, bytes per element, onnxruntime-node type
 * name and the typed array that holds it. One table at the lowest layer, so graph (ONNX files, onnxruntime),
 * codec (bytes on the wire) and the runtime read the same rows.
 */
export type DType =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool'
  | 'float16' | 'float64' | 'uint32' | 'uint64' | 'complex64' | 'complex128' | 'bfloat16'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'uint4' | 'int4' | 'float4e2m1';

/** The typed arrays a tensor's elements live in (float16 as raw 16-bit patterns, bool as one byte each). */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

export interface TypedArrayCtor {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

interface Row {
  /** TensorProto.DataType value. */
  code: number;
  /** Bytes per element (strings count as 0: their size is data-dependent). */
  bytes: number;
  /** onnxruntime-node's tensor type name, for dtypes it can feed and fetch. */
  ort?: string;
  /** The typed array holding it as little-endian elements, for dtypes that cross a process or network boundary. */
  array?: TypedArrayCtor;
}

const A = <T>(c: T) => c as unknown as TypedArrayCtor;

const TABLE: Readonly<Record<DType, Row>> = {
  float32: { code: 1, bytes: 4, ort: 'float32', array: A(Float32Array) },
  uint8: { code: 2, bytes: 1, ort: 'uint8', array: A(Uint8Array) },
  int8: { code: 3, bytes: 1, ort: 'int8', array: A(Int8Array) },
  uint16: { code: 4, bytes: 2, ort: 'uint16', array: A(Uint16Array) },
  int16: { code: 5, bytes: 2, ort: 'int16', array: A(Int16Array) },
  int32: { code: 6, bytes: 4, ort: 'int32', array: A(Int32Array) },
  int64: { code: 7, bytes: 8, ort: 'int64', array: A(BigInt64Array) },
  string: { code: 8, bytes: 0, ort: 'string' },
  bool: { code: 9, bytes: 1, ort: 'bool', array: A(Uint8Array) },
  // onnxruntime-node holds float16 as its raw bit patterns.
  float16: { code: 10, bytes: 2, ort: 'float16', array: A(Uint16Array) },
  float64: { code: 11, bytes: 8, ort: 'float64', array: A(Float64Array) },
  uint32: { code: 12, bytes: 4, ort: 'uint32', array: A(Uint32Array) },
  uint64: { code: 13, bytes: 8, ort: 'uint64', array: A(BigUint64Array) },
  complex64: { code: 14, bytes: 8 },
  complex128: { code: 15, bytes: 16 },
  bfloat16: { code: 16, bytes: 2 },
  float8e4m3fn: { code: 17, bytes: 1 },
  float8e4m3fnuz: { code: 18, bytes: 1 },
  float8e5m2: { code: 19, bytes: 1 },
  float8e5m2fnuz: { code: 20, bytes: 1 },
  uint4: { code: 21, bytes: 0.5 },
  int4: { code: 22, bytes: 0.5 },
  float4e2m1: { code: 23, bytes: 0.5 },
};

const ROWS = Object.entries(TABLE) as Array<[DType, Row]>;
const BY_CODE = new Map(ROWS.map(([d, r]) => [r.code, d]));
const pick = <K extends 'ort' | 'array'>(k: K) =>
  Object.fromEntries(ROWS.filter(([, r]) => r[k] !== undefined).map(([d, r]) => [d, r[k]])) as Partial<Record<DType, NonNullable<Row[K]>>>;

/** onnxruntime-node's tensor type names that we can feed and fetch. */
export const ORT_TYPES: Readonly<Partial<Record<DType, string>>> = pick('ort');

/**
 * The typed array for each dtype a tensor can carry across a process or network boundary. Every other dtype
 * (string, complex, 4-bit and 8-bit floats) stays inside the process that made it.
 */
export const TYPED_ARRAYS: Readonly<Partial<Record<DType, TypedArrayCtor>>> = pick('array');

export function dtypeFromCode(code: number): DType {
  const d = BY_CODE.get(code);
  if (!d) throw new Error(`unknown ONNX element type ${code}`);
  return d;
}

export function dtypeCode(d: DType): number {
  return Object.hasOwn(TABLE, d) ? TABLE[d].code : -1;
}

/** Bytes per element (strings count as 0: their size is data-dependent). */
export function dtypeBytes(d: DType): number {
  return (TABLE[d] as Row | undefined)?.bytes as number;
}
