/**
 * Concrete shapes for every tensor. Exporters often omit intermediate shapes, and shape inference does not know
 * every custom op, so we ask onnxruntime itself: one run of a copy of the model with every intermediate exposed
 * as an output, at the fixed input shapes. Results are cached by model hash and input shapes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MoparError, sha256, errorMessage } from '../core/index.js';
import { dtypeFromCode, type DType } from './dtype.js';
import type { Graph } from './ir.js';
import { varyingDims, type InputShapes } from './input-shapes.js';
import { create, ModelProtoSchema, GraphProtoSchema, ValueInfoProtoSchema } from './onnx.js';
import { sessionSource } from './onnx-io.js';
import { randomInputs } from './random-inputs.js';
import { openSession, runSession } from './runner.js';

export interface ShapeRecord { dtype: DType; shape: number[] }
export type ShapeTable = Record<string, ShapeRecord>;

export function cacheDir(): string {
  return process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar');
}

/** Fills `shape` (concrete) and `dtype` of every tensor in the IR; returns the table it applied. */
export async function inferShapes(g: Graph, inputShapes: InputShapes, modelHash?: string): Promise<ShapeTable> {
  const table = await cachedShapes(g, inputShapes, modelHash);
  applyShapes(g, inputShapes, table);
  await inferBatchDims(g, inputShapes, table, modelHash);
  await inferRangeDims(g, inputShapes, table, modelHash);
  return table;
}

/** The leading dim of each input as the file declares it (a string when symbolic). */
export function declaredBatch(g: Graph): Array<number | string | undefined> {
  return g.inputs.map((name) => {
    const vi = g.model.graph!.input.find((v) => v.name === name);
    const tt = vi?.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
    const d = tt?.shape?.dim[0];
    return !d ? undefined : d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?';
  });
}

/**
 * Which dims follow the batch: shapes are measured again at twice the batch, and every dim that changed is
 * named after the input's batch dim. A graph that hard-codes the batch (a Reshape to [1, …]) fails or keeps its
 * shapes there: it is then not dynamic, and `g.batch` says why.
 */
async function inferBatchDims(g: Graph, inputShapes: InputShapes, table: ShapeTable, modelHash?: string): Promise<void> {
  const declared = declaredBatch(g);
  if (g.inputs.length === 0 || declared.some((d) => typeof d !== 'string')) {
    g.batch = { dynamic: false, why: g.inputs.length ? 'an input has a fixed leading dim' : 'the model has no inputs' };
    return;
  }
  const name = declared.find((d): d is string => typeof d === 'string' && !/^\?\d*$/.test(d)) ?? 'batch';
  const doubled: InputShapes = Object.fromEntries(Object.entries(inputShapes).map(([k, s]) => [k, [2 * s[0]!, ...s.slice(1)]]));
  let table2: ShapeTable;
  try {
    table2 = await cachedShapes(g, doubled, modelHash);
  } catch (err) {
    g.batch = { dynamic: false, why: `it does not run at batch ${doubled[g.inputs[0]!]![0]} (${errorMessage(err).split('\n')[0]!.slice(0, 200)})` };
    return;
  }
  const b = inputShapes[g.inputs[0]!]![0]!;
  for (const [tensor, rec] of Object.entries(table)) {
    const other = table2[tensor];
    const t = g.tensors.get(tensor);
    if (!other || !t || other.shape.length !== rec.shape.length) continue;
    if (other.shape.every((d, i) => d === rec.shape[i])) continue;
    t.symbolicShape = rec.shape.map((d, i) => (other.shape[i] === d ? d : d === b ? name : `${name}_x${d / b}`));
  }
  for (const i of g.inputs) {
    const t = g.tensors.get(i)!;
    t.symbolicShape = [name, ...inputShapes[i]!.slice(1)];
  }
  const stuck = g.outputs.filter((o) => typeof g.tensors.get(o)?.symbolicShape?.[0] !== 'string');
  g.batch = stuck.length
    ? { dynamic: false, why: `output '${stuck[0]}' keeps its leading dim at twice the batch (the graph hard-codes the batch)` }
    : { dynamic: true, name };
  if (!g.batch.dynamic) for (const t of g.tensors.values()) delete t.symbolicShape;
}

/**
 * Which dims follow a ranged input dim (Graph.ranges): shapes are measured again with every ranged dim at its LO
 * at once (inputs that share a dim, ids and mask, stay consistent), and every dim that changed gets a name: the
 * input's own dim name where it equals that dim's HI, else `<name>_<size at HI>`. The batch dim of a dynamic
 * batch is left to inferBatchDims (its range is the max batch). A model that does not run at LO (a Reshape to
 * a constant length) is an error naming the range: it cannot serve it.
 */
async function inferRangeDims(g: Graph, inputShapes: InputShapes, table: ShapeTable, modelHash?: string): Promise<void> {
  const varied = varyingDims(g).map(({ input, dim, range }) => {
    // The file's own dim name (the IR's shape is concrete by now).
    const vi = g.model.graph!.input.find((v) => v.name === input);
    const dd = vi?.type?.value.case === 'tensorType' ? vi.type.value.value.shape?.dim[dim]?.value : undefined;
    const d = dd?.case === 'dimParam' ? dd.value : undefined;
    return { input, dim, lo: range[0], hi: range[1], name: d !== undefined && !/^\?\d*$/.test(d) ? d : `${input}_d${dim}` };
  });
  if (!varied.length) return;
  const low: InputShapes = Object.fromEntries(Object.entries(inputShapes).map(([k, s]) => [k, [...s]]));
  for (const v of varied) low[v.input]![v.dim] = v.lo;
  let table2: ShapeTable;
  try {
    table2 = await cachedShapes(g, low, modelHash);
  } catch (err) {
    const at = varied.map((v) => `${v.input} dim ${v.dim} = ${v.lo}`).join(', ');
    throw new MoparError(`the model does not run at the bottom of its --input ranges (${at}): ${errorMessage(err).split('\n')[0]!.slice(0, 200)}`);
  }
  const nameOf = (size: number) => varied.find((v) => v.hi === size)?.name ?? `${varied[0]!.name}_${size}`;
  for (const [tensor, rec] of Object.entries(table)) {
    const other = table2[tensor];
    const t = g.tensors.get(tensor);
    if (!other || !t || other.shape.length !== rec.shape.length) continue;
    if (other.shape.every((d, i) => d === rec.shape[i])) continue;
    const sym: Array<number | string> = t.symbolicShape ? [...t.symbolicShape] : [...rec.shape];
    rec.shape.forEach((d, i) => { if (other.shape[i] !== d && typeof sym[i] !== 'string') sym[i] = nameOf(d); });
    t.symbolicShape = sym;
  }
  for (const v of varied) {
    const t = g.tensors.get(v.input)!;
    const sym: Array<number | string> = t.symbolicShape ? [...t.symbolicShape] : [...inputShapes[v.input]!];
    sym[v.dim] = v.name;
    t.symbolicShape = sym;
  }
}

async function cachedShapes(g: Graph, inputShapes: InputShapes, modelHash?: string): Promise<ShapeTable> {
  const key = modelHash ? sha256(`${modelHash}|${JSON.stringify(inputShapes)}`).slice(0, 32) : undefined;
  const file = key ? join(cacheDir(), 'shapes', `${key}.json`) : undefined;
  let table: ShapeTable | undefined;
  if (file && existsSync(file)) {
    try { table = JSON.parse(readFileSync(file, 'utf8')) as ShapeTable; } catch { table = undefined; }
  }
  if (!table) {
    table = await measureShapes(g, inputShapes);
    if (file) {
      mkdirSync(join(cacheDir(), 'shapes'), { recursive: true });
      writeFileSync(file, JSON.stringify(table));
    }
  }
  return table;
}

export function applyShapes(g: Graph, inputShapes: InputShapes, table: ShapeTable): void {
  for (const [name, shape] of Object.entries(inputShapes)) {
    const t = g.tensors.get(name);
    if (t) t.shape = shape;
  }
  for (const [name, rec] of Object.entries(table)) {
    const t = g.tensors.get(name);
    if (!t) continue;
    t.shape = rec.shape;
    t.dtype = rec.dtype;
  }
}

async function measureShapes(g: Graph, inputShapes: InputShapes): Promise<ShapeTable> {
  const model = g.model;
  const graph = model.graph!;
  const existing = new Set(graph.output.map((o) => o.name));
  const wanted: string[] = [];
  for (const n of g.nodes) for (const o of n.outputs) if (!existing.has(o)) wanted.push(o);
  const exposed = create(ModelProtoSchema, {
    ...model,
    graph: create(GraphProtoSchema, {
      ...graph,
      output: [...graph.output, ...wanted.map((name) => create(ValueInfoProtoSchema, { name }))],
    }),
  });
  const source = sessionSource(exposed);
  let session;
  try {
    session = await openSession(source.model, { optimization: 'disabled', memArena: false });
  } catch (err) {
    source.dispose();
    throw err;
  }
  try {
    const feeds = randomInputs(g, inputShapes, 7);
    const out = await runSession(session, feeds);
    const table: ShapeTable = {};
    for (const [name, t] of Object.entries(out)) table[name] = { dtype: t.dtype, shape: t.dims };
    // Constant outputs are known from the node itself even when onnxruntime folds them away.
    for (const n of g.nodes) {
      if (!n.isConstant) continue;
      const info = g.tensors.get(n.outputs[0]!);
      if (info?.shape && info.dtype && !table[n.outputs[0]!]) {
        table[n.outputs[0]!] = { dtype: info.dtype, shape: info.shape as number[] };
      }
    }
    return table;
  } finally {
    await session.release();
    source.dispose();
  }
}

export { dtypeFromCode };
