/** ONNX element types: names, sizes, and the onnxruntime-node tensor type each maps to. */
import { MoparError } from '../core/index.js';
export type DType =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool'
  | 'float16' | 'float64' | 'uint32' | 'uint64' | 'complex64' | 'complex128' | 'bfloat16'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'uint4' | 'int4' | 'float4e2m1';

// Index = TensorProto.DataType value.
const BY_CODE: (DType | undefined)[] = [
  undefined, 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool',
  'float16', 'float64', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1',
];

const BYTES: Record<DType, number> = {
  float32: 4, uint8: 1, int8: 1, uint16: 2, int16: 2, int32: 4, int64: 8, string: 0, bool: 1,
  float16: 2, float64: 8, uint32: 4, uint64: 8, complex64: 8, complex128: 16, bfloat16: 2,
  float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1, uint4: 0.5, int4: 0.5, float4e2m1: 0.5,
};

export function dtypeFromCode(code: number): DType {
  const d = BY_CODE[code];
  if (!d) throw new Error(`unknown ONNX element type ${code}`);
  return d;
}

export function dtypeCode(d: DType): number {
  return BY_CODE.indexOf(d);
}

/** Bytes per element (strings count as 0: their size is data-dependent). */
export function dtypeBytes(d: DType): number {
  return BYTES[d];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The most elements one model input may have (8 GiB as float32). mopar allocates inputs whole (random inputs to
 * profile and verify, a request's tensor) and a JS typed array past 2^32 elements cannot exist at all: a larger
 * declared input is refused up front, by name, instead of failing deep inside an allocation.
 */
export const MAX_INPUT_ELEMENTS = 2 ** 31;

/** Throws a MoparError naming the input and its element count when it has more than MAX_INPUT_ELEMENTS. */
export function checkInputElements(name: string, shape: readonly number[], where = ''): void {
  const n = numel(shape);
  if (n > MAX_INPUT_ELEMENTS) {
    throw new MoparError(`${where}input '${name}' has ${n} elements (shape [${shape.join(', ')}]), over the ${MAX_INPUT_ELEMENTS} elements mopar holds in one input (8 GiB of float32)`);
  }
}

export function tensorBytes(dtype: DType, shape: readonly number[]): number {
  return Math.ceil(numel(shape) * dtypeBytes(dtype));
}

/** onnxruntime-node's tensor type names that we can feed and fetch. */
export const ORT_TYPES: Partial<Record<DType, string>> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int8: 'int8', uint8: 'uint8', int16: 'int16',
  uint16: 'uint16', int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', string: 'string',
};
