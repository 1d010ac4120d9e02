/**
 * Concrete shapes for every tensor. Exporters often omit intermediate shapes, and shape inference does not know
 * every custom op, so we ask onnxruntime itself: one run of a copy of the model with every intermediate exposed
 * as an output, at the fixed input shapes. Results are cached by model hash and input shapes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../core/hash.js';
import { dtypeFromCode, type DType } from './dtype.js';
import type { Graph } from './ir.js';
import type { InputShapes } from './input-shapes.js';
import { create, ModelProtoSchema, GraphProtoSchema, ValueInfoProtoSchema } from './onnx.js';
import { encodeModel } from './onnx-io.js';
import { randomInputs } from './random-inputs.js';
import { openSession, runSession } from './runner.js';

export interface ShapeRecord { dtype: DType; shape: number[] }
export type ShapeTable = Record<string, ShapeRecord>;

export function cacheDir(): string {
  return process.env.MOPAR_CACHE_DIR ?? join(homedir(), '.cache', 'mopar');
}

/** Fills `shape` (concrete) and `dtype` of every tensor in the IR; returns the table it applied. */
export async function inferShapes(g: Graph, inputShapes: InputShapes, modelHash?: string): Promise<ShapeTable> {
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
  applyShapes(g, inputShapes, table);
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
  const session = await openSession(encodeModel(exposed), { optimization: 'disabled', memArena: false });
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
  }
}

export { dtypeFromCode };
