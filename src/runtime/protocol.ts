/**
 * The Open Inference Protocol (KServe v2) request and response bodies: JSON tensors and the binary tensor
 * extension (`Inference-Header-Content-Length`: a JSON header, then the tensors' raw bytes in order).
 * Validation names the tensor and what is wrong; it throws BadRequestError (HTTP 400).
 */
import type { ServerResponse } from 'node:http';
import { MoparError } from '../core/index.js';
import { numel, type DType, type Feeds, type PlainTensor } from '../graph/index.js';
import type { TensorMeta } from './model.js';
import { bytesOf, elementCount, frameParts, PartReader, splitFrame, tensorFromBytes, typedArrayOf } from '../codec/index.js';
import { badRequest, checkInferRequest, convertValues, flattenData, outputDataJson } from './validate.js';
import { scanJsonData, scannedValues, type ScannedData } from './json-data.js';

export { HttpError, badRequest } from './validate.js';

const TO_V2: Partial<Record<DType, string>> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL',
};
const FROM_V2 = Object.fromEntries(Object.entries(TO_V2).map(([k, v]) => [v, k as DType])) as Record<string, DType>;

export function v2Datatype(d: DType): string {
  return TO_V2[d] ?? d.toUpperCase();
}

export function v2Meta(t: TensorMeta) {
  return { name: t.name, datatype: v2Datatype(t.dtype), shape: t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

/** A request that passed docs/schemas/infer-request.schema.json. */
interface V2InputTensor { name: string; shape: number[]; datatype: string; data?: unknown[]; parameters?: Record<string, unknown> }
interface V2Request { id?: string; inputs: V2InputTensor[]; outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>; parameters?: Record<string, unknown> }

export interface ParsedRequest {
  id?: string;
  feeds: Feeds;
  /** Reply with binary outputs (the client asked for binary_data). */
  binaryOutputs: boolean;
  /** Outputs the client asked for (all when undefined). */
  requested?: string[];
  /** The application the request belongs to (`parameters.app`), for request batching per group. */
  app?: string;
  /** The request's deadline in ms from its arrival (`parameters.deadline_ms`). */
  deadlineMs?: number;
}

/** Parses and validates an infer request against the model's inputs. `headerLength` set ⇒ binary extension. */
export function parseInferRequest(body: Buffer, headerLength: number | undefined, inputs: readonly TensorMeta[]): ParsedRequest {
  if (headerLength !== undefined && (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.length)) {
    throw badRequest(`Inference-Header-Content-Length ${headerLength} does not fit the ${body.length}-byte body`);
  }
  let req!: V2Request;
  let payload!: Buffer;
  // Nesting is bounded by the request's structure and the inputs' ranks: refuse more before JSON.parse walks it
  // (the data scan checks it on its way; bodies it does not take get the separate check).
  const maxDepth = JSON_STRUCTURE_DEPTH + Math.max(0, ...inputs.map((t) => t.shape.length));
  // A JSON body's data arrays straight into numbers (json-data.ts); the rest, small, through JSON.parse.
  let scanned: ScannedData[] | undefined;
  const fast = headerLength === undefined ? scanJsonData(body, body.length, maxDepth, scanTarget(inputs)) : undefined;
  if (!fast) checkJsonDepth(body, headerLength ?? body.length, maxDepth);
  if (fast) {
    try {
      req = JSON.parse(fast.text) as V2Request;
      payload = body.subarray(body.length);
      scanned = fast.data;
    } catch { /* the generic parse below names the error */ }
  }
  if (!scanned) {
    try {
      ({ header: req, payload } = splitFrame(body, headerLength) as { header: V2Request; payload: Buffer });
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  }
  if (!req || typeof req !== 'object' || !Array.isArray(req.inputs)) throw badRequest(`request body must be an object with an 'inputs' array`);
  checkInferRequest(req);
  const parts = new PartReader(payload);
  const feeds: Feeds = {};
  const expected = new Map(inputs.map((t) => [t.name, t]));
  for (const [k, raw] of req.inputs.entries()) {
    const name = raw.name;
    const meta = expected.get(name);
    if (!meta) throw badRequest(`unknown input '${name}' (the model's inputs: ${inputs.map((t) => t.name).join(', ')})`);
    if (feeds[name]) throw badRequest(`input '${name}' given twice`);
    const dtype = Object.hasOwn(FROM_V2, raw.datatype) ? FROM_V2[raw.datatype] : undefined;
    if (!dtype) throw badRequest(`input '${name}': unsupported datatype ${JSON.stringify(raw.datatype)}`);
    if (dtype !== meta.dtype) throw badRequest(`input '${name}': datatype ${raw.datatype} but the model expects ${v2Datatype(meta.dtype)}`);
    const dims = raw.shape;
    const fits = dims.length === meta.shape.length && dims.every((d, i) => {
      const m = meta.shape[i];
      return typeof m !== 'number' || m < 0 || m === d;
    });
    if (!fits) throw badRequest(`input '${name}': shape [${dims}] but the model expects [${meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : '?'))}]`);
    const size = raw.parameters?.binary_data_size;
    if (size !== undefined) {
      if (headerLength === undefined) throw badRequest(`input '${name}': binary_data_size without an Inference-Header-Content-Length header`);
      try {
        feeds[name] = tensorFromBytes(dtype, dims, parts.take(size, 'binary_data_size'));
      } catch (err) {
        throw badRequest(`input '${name}': ${(err as Error).message}`);
      }
    } else {
      const fastData = scanned?.find((d) => d.input === k);
      feeds[name] = fastData ? fromScannedData(name, dtype, dims, fastData, raw.datatype) : fromJsonData(name, dtype, dims, raw.data, raw.datatype);
    }
  }
  for (const t of inputs) if (!feeds[t.name]) throw badRequest(`missing input '${t.name}'`);
  if (headerLength !== undefined && parts.remaining > 0) {
    throw badRequest(`${parts.remaining} bytes after the binary tensors (their binary_data_size add up to ${payload.length - parts.remaining} of the ${payload.length} bytes after the header)`);
  }
  const binaryOutputs = req.parameters?.binary_data_output === true || !!req.outputs?.some((o) => o?.parameters?.binary_data === true);
  const requested = req.outputs?.map((o) => o.name);
  const app = typeof req.parameters?.app === 'string' ? req.parameters.app : undefined;
  const deadlineMs = req.parameters?.deadline_ms === undefined ? undefined : deadlineParameter(req.parameters.deadline_ms, 'parameters.deadline_ms');
  return { id: req.id, feeds, binaryOutputs, requested, ...(app !== undefined ? { app } : {}), ...(deadlineMs !== undefined ? { deadlineMs } : {}) };
}

/**
 * What the data scan may assume: every input FP32 ⇒ floats stored as read; sizes by position (a request usually
 * lists the model's inputs in its order; a wrong guess costs a copy, not a wrong value).
 */
function scanTarget(inputs: readonly TensorMeta[]): { float32: boolean; sizes: Array<number | undefined> } {
  const sizes = inputs.map((t) => (t.shape.every((d) => typeof d === 'number' && d >= 0) ? numel(t.shape as number[]) : undefined));
  return { float32: inputs.length > 0 && inputs.every((t) => t.dtype === 'float32'), sizes };
}

/** A request's deadline in ms from its arrival (`parameters.deadline_ms` or the `x-mopar-deadline-ms` header): a number > 0. */
export function deadlineParameter(v: unknown, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw badRequest(`${where} must be a number of milliseconds > 0, got ${JSON.stringify(v).slice(0, 100)}`);
  return n;
}

/**
 * `Inference-Header-Content-Length` as a byte count: plain decimal digits only (Number() would also take '1e3',
 * '0x10', ' 12' or ''). Undefined when the header is absent.
 */
export function headerLengthParameter(v: string | string[] | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(', ') : v;
  if (!/^[0-9]{1,15}$/.test(s)) throw badRequest(`Inference-Header-Content-Length must be a byte count in decimal digits, got ${JSON.stringify(s.slice(0, 40))}`);
  return Number(s);
}

/** Levels of a request's JSON outside its `data` arrays (object, inputs, tensor, parameters and their values). */
const JSON_STRUCTURE_DEPTH = 16;

/**
 * Refuses JSON nested deeper than `max` levels in its first `end` bytes, by one scan of the bytes that stops as
 * soon as it is too deep (JSON.parse of a 5M-deep body held the event loop for seconds before it was refused).
 */
function checkJsonDepth(body: Uint8Array, end: number, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < end; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw badRequest(`request JSON is nested deeper than ${max} levels (more than the inputs' shapes and the request's structure need)`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

function fromJsonData(name: string, dtype: DType, dims: number[], data: unknown[] | undefined, v2: string): PlainTensor {
  if (!Array.isArray(data)) throw badRequest(`input '${name}': 'data' must be an array (or use binary_data_size)`);
  const n = elementCount(dims);
  const flat = flattenData(name, data, dims.length, n);
  if (flat.length !== n) throw badRequest(`input '${name}': ${flat.length} values do not fill shape [${dims}] (${n} needed)`);
  // Values already checked against the datatype (NaN/±Inf included, which tensorFromValues refuses).
  const typed = new (typedArrayOf(dtype))(n);
  (typed as unknown as { set(a: ArrayLike<number | bigint>): void }).set(convertValues(name, dtype, v2, flat));
  return { dtype, dims: [...dims], data: typed };
}

/** fromJsonData for a data array json-data.ts read: the same checks and messages, without the intermediate arrays. */
function fromScannedData(name: string, dtype: DType, dims: number[], d: ScannedData, v2: string): PlainTensor {
  const n = elementCount(dims);
  const rank = Math.max(1, dims.length);
  // flattenData's order: whichever of 'too deep' and 'too many' it would have met first.
  const deepAt = d.firstOpenAt[rank + 1];
  if (deepAt !== undefined && deepAt <= n) throw badRequest(`input '${name}': 'data' is nested deeper than its shape (rank ${dims.length})`);
  if (d.count > n) throw badRequest(`input '${name}': more values in 'data' than shape holds (${n})`);
  if (d.count !== n) throw badRequest(`input '${name}': ${d.count} values do not fill shape [${dims}] (${n} needed)`);
  const values = scannedValues(d, dtype === 'float32');
  if (values instanceof Float32Array) {
    // Scanned as floats: only when every input is FP32 (parseInferRequest), so this tensor is.
    if (dtype !== 'float32') throw new MoparError(`input '${name}': FP32 values scanned for a ${v2} tensor`);
    if (d.bad) throw beyondRange(name, v2, d.bad.value, d.bad.index);
    // Exactly n long (the usual case) is handed on as it is; otherwise copied out of the larger array.
    return { dtype, dims: [...dims], data: values.byteLength === values.buffer.byteLength ? values : values.slice() };
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    const typed = new (typedArrayOf(dtype))(n);
    (typed as unknown as { set(a: ArrayLike<number | bigint>): void }).set(convertValues(name, dtype, v2, Array.from(values)));
    return { dtype, dims: [...dims], data: typed };
  }
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  out.set(values);
  for (let i = 0; i < n; i++) {
    // x − x is 0 for every finite x and NaN for ±Infinity: a value no float holds (1e400 parsed as Infinity, or beyond FP32).
    if (out[i]! - out[i]! === 0) continue;
    throw beyondRange(name, v2, values[i]!, i);
  }
  return { dtype, dims: [...dims], data: out };
}

/** The messages convertValues gives a JSON number no value of the datatype holds. */
function beyondRange(name: string, v2: string, x: number, i: number): Error {
  if (!Number.isFinite(x)) return badRequest(`input '${name}': value ${x} at index ${i} is beyond the range of ${v2}`);
  return badRequest(`input '${name}': value ${x} at index ${i} is beyond the range of FP32 (±3.4028234663852886e38)`);
}

/** The response body (JSON, or JSON header + binary tensors) and its extra headers. */
export function inferResponse(model: string, id: string | undefined, outputs: Feeds, order: readonly string[], binary: boolean): InferResponse {
  const tensors = order.map((name) => ({ name, t: outputs[name]! }));
  if (!binary) {
    // Built as text so that 64-bit integers stay exact and NaN/±Inf are explicit (see outputDataJson).
    const outs = tensors.map(({ name, t }) => {
      const { text, nonFinite } = outputDataJson(t.data as ArrayLike<number | bigint>);
      const head = JSON.stringify({ name, datatype: v2Datatype(t.dtype), shape: t.dims, ...(nonFinite ? { parameters: { non_finite: nonFinite } } : {}) });
      return `${head.slice(0, -1)},"data":${text}}`;
    });
    const head = JSON.stringify({ model_name: model, ...(id ? { id } : {}) });
    return oneChunk(Buffer.from(`${head.slice(0, -1)},"outputs":[${outs.join(',')}]}`), { 'content-type': 'application/json' });
  }
  const parts = tensors.map(({ t }) => bytesOf(t));
  const { chunks, length, headerLength } = frameParts({
    model_name: model, ...(id ? { id } : {}),
    outputs: tensors.map(({ name, t }, i) => ({ name, datatype: v2Datatype(t.dtype), shape: t.dims, parameters: { binary_data_size: parts[i]!.byteLength } })),
  }, parts);
  const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) };
  return { chunks, length, headers, get body() { return Buffer.concat(chunks, length); } };
}

/**
 * An infer reply: `chunks` (the binary frame's header, then each output's bytes, uncopied) for writers that take
 * them one after another; `body` joins them (a copy) for those that need one buffer.
 */
export interface InferResponse { chunks: Buffer[]; length: number; headers: Record<string, string>; readonly body: Buffer }

const oneChunk = (body: Buffer, headers: Record<string, string>): InferResponse => ({ chunks: [body], length: body.byteLength, headers, body });

/** Ends `res` with `chunks` as they are (no joined copy), corked so the small header leaves with the first part (end() uncorks). */
export function writeChunks(res: ServerResponse, chunks: readonly Buffer[], done: () => void): void {
  res.cork();
  for (const c of chunks.slice(0, -1)) res.write(c);
  res.end(chunks.at(-1), done);
}

/** Decodes a binary response (for clients: `mopar invoke`, tests, benchmarks). */
export function parseInferResponse(body: Buffer, headerLength: number | undefined): { model_name: string; outputs: Array<{ name: string; datatype: string; shape: number[]; data: PlainTensor['data'] | number[] }> } {
  const { header, payload } = splitFrame(body, headerLength);
  const head = header as ReturnType<typeof parseInferResponse>;
  if (headerLength === undefined) return head;
  const parts = new PartReader(payload);
  for (const o of head.outputs as Array<{ name: string; datatype: string; shape: number[]; data: unknown; parameters?: { binary_data_size?: number } }>) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    const dtype = FROM_V2[o.datatype];
    if (!dtype) throw new MoparError(`output '${o.name}': unsupported datatype ${JSON.stringify(o.datatype)}`);
    o.data = tensorFromBytes(dtype, o.shape, parts.take(size, `output '${o.name}': binary_data_size`)).data;
  }
  return head;
}

export function fromV2Datatype(s: string): DType | undefined {
  return FROM_V2[s];
}



/** Bytes one value may take in a JSON body: "-1.2345678901234567e-300", separators, nesting, indentation. */
const JSON_BYTES_PER_VALUE = 64;
/** Room for the JSON around the tensors (names, parameters, a binary header). */
const BODY_SLACK_BYTES = 2 ** 20;
/** A dynamic dim (a batch) is counted as this many when sizing the default body limit. */
const DYNAMIC_DIM_ALLOWANCE = 64;

/**
 * The largest body one request to `inputs` can need: every input's values as JSON text (a binary request is
 * smaller), plus slack. A body beyond it cannot be a valid request, so it is refused before it is read whole.
 * Used by the embedded gateway and by every deployed function's HTTP server.
 */
export function requestBodyLimit(inputs: readonly TensorMeta[]): number {
  let values = 0;
  for (const t of inputs) values += numel(t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : DYNAMIC_DIM_ALLOWANCE)));
  return values * JSON_BYTES_PER_VALUE + BODY_SLACK_BYTES;
}
