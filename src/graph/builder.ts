/**
 * A small typed builder for ONNX graphs: the zoo writes architectures with it, tests write test graphs, and the
 * horizontal partitioner writes its split/concat nodes. Tensor names are generated and unique.
 */
import { dtypeCode, numel, type DType } from './dtype.js';
import {
  create, ModelProtoSchema, GraphProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema,
  AttributeProtoSchema, AttributeProto_AttributeType as AT,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto,
} from './onnx.js';

/** A float attribute (plain JS numbers that are integers become INT attributes). */
export class FloatAttr { constructor(readonly value: number) {} }
export class FloatsAttr { constructor(readonly value: number[]) {} }
export const f = (v: number) => new FloatAttr(v);
export const fs = (v: number[]) => new FloatsAttr(v);

export type AttrValue = number | bigint | string | number[] | string[] | FloatAttr | FloatsAttr | TensorProto | GraphProto;

export function attr(name: string, v: AttrValue): AttributeProto {
  if (v instanceof FloatAttr) return create(AttributeProtoSchema, { name, type: AT.FLOAT, f: v.value });
  if (v instanceof FloatsAttr) return create(AttributeProtoSchema, { name, type: AT.FLOATS, floats: v.value });
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? create(AttributeProtoSchema, { name, type: AT.INT, i: BigInt(v) })
      : create(AttributeProtoSchema, { name, type: AT.FLOAT, f: v });
  }
  if (typeof v === 'bigint') return create(AttributeProtoSchema, { name, type: AT.INT, i: v });
  if (typeof v === 'string') return create(AttributeProtoSchema, { name, type: AT.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) {
      return create(AttributeProtoSchema, { name, type: AT.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
    }
    const nums = v as number[];
    return nums.every(Number.isInteger)
      ? create(AttributeProtoSchema, { name, type: AT.INTS, ints: nums.map(BigInt) })
      : create(AttributeProtoSchema, { name, type: AT.FLOATS, floats: nums });
  }
  if (v.$typeName === 'onnx.TensorProto') return create(AttributeProtoSchema, { name, type: AT.TENSOR, t: v });
  return create(AttributeProtoSchema, { name, type: AT.GRAPH, g: v });
}

export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** A TensorProto with raw little-endian data (zero-copy view of `data`). */
export function tensorProto(name: string, dtype: DType, dims: readonly number[], data: TypedData): TensorProto {
  if (data.length !== numel(dims)) throw new Error(`tensor ${name}: ${data.length} values for shape [${dims}]`);
  return create(TensorProtoSchema, {
    name, dataType: dtypeCode(dtype), dims: dims.map(BigInt),
    rawData: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
  });
}

export function valueInfoOf(name: string, dtype: DType, shape: readonly (number | string)[] | undefined) {
  return create(ValueInfoProtoSchema, {
    name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType: dtypeCode(dtype),
          shape: shape ? { dim: shape.map((d) => (typeof d === 'number'
            ? { value: { case: 'dimValue' as const, value: BigInt(d) } }
            : { value: { case: 'dimParam' as const, value: d } })) } : undefined,
        },
      },
    },
  });
}

export interface NodeOptions { name?: string; domain?: string; outputNames?: readonly string[] }

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ReturnType<typeof valueInfoOf>[] = [];
  readonly outputs: ReturnType<typeof valueInfoOf>[] = [];
  private counter = 0;
  private readonly names = new Set<string>();

  constructor(readonly name = 'graph', readonly prefix = '') {}

  /** A fresh tensor/node name based on `hint`. */
  fresh(hint: string): string {
    let name = `${this.prefix}${hint}`;
    while (this.names.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly (number | string)[]): string {
    this.names.add(name);
    this.inputs.push(valueInfoOf(name, dtype, shape));
    return name;
  }

  output(name: string, dtype: DType = 'float32', shape?: readonly (number | string)[]): void {
    this.outputs.push(valueInfoOf(name, dtype, shape));
  }

  /** Adds an initializer named after `hint` (suffixed if taken; `exact` keeps the name as given). */
  init(hint: string, dtype: DType, dims: readonly number[], data: TypedData, exact = false): string {
    const name = exact ? hint : this.fresh(hint);
    this.names.add(name);
    this.initializers.push(tensorProto(name, dtype, dims, data));
    return name;
  }

  /**
   * Adds a node; returns its output names (count = `outputs`). `opts.outputNames` fixes the output tensor names
   * (as exporters spell them) instead of generating them; `opts.name` is used as given when still free.
   */
  nodeN(op: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}, outputs = 1, opts: NodeOptions = {}): string[] {
    const name = this.fresh(opts.name ?? op);
    const outs = opts.outputNames
      ? opts.outputNames.map((o) => { this.names.add(o); return o; })
      : Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? `${name}_out` : `${name}_out${i}`));
    this.nodes.push(create(NodeProtoSchema, {
      name, opType: op, domain: opts.domain ?? '', input: [...inputs], output: outs,
      attribute: Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => attr(k, v as AttrValue)),
    }));
    return outs;
  }

  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}, opts: NodeOptions = {}): string {
    return this.nodeN(op, inputs, attrs, opts.outputNames?.length ?? 1, opts)[0]!;
  }

  graph(): GraphProto {
    return create(GraphProtoSchema, {
      name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs,
    });
  }

  model(opset = 17, irVersion = 8): ModelProto {
    return create(ModelProtoSchema, {
      irVersion: BigInt(irVersion), producerName: 'mopar', opsetImport: [{ domain: '', version: BigInt(opset) }],
      graph: this.graph(),
    });
  }
}
