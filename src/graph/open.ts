/** The front door most verbs use: load a file, build the IR, fix input shapes, learn every tensor's shape. */
import type { Graph } from './ir.js';
import { foldConstants } from './fold.js';
import { loadModel, type LoadedModel } from './onnx-io.js';
import { resolveInputShapes, type InputShapes } from './input-shapes.js';
import { inferShapes } from './shapes.js';

export interface OpenedModel {
  loaded: LoadedModel;
  graph: Graph;
  inputShapes: InputShapes;
  /** Nodes that computed only from constants and were replaced by their values. */
  folded: number;
}

export async function openModel(path: string, inputOverrides: InputShapes = {}, opts: { shapes?: boolean } = {}): Promise<OpenedModel> {
  const loaded = loadModel(path);
  // Constant subgraphs become weights before anything looks at the graph (see fold.ts).
  const { graph, folded } = await foldConstants(loaded.proto);
  const inputShapes = resolveInputShapes(graph, inputOverrides);
  if (opts.shapes !== false) await inferShapes(graph, inputShapes, loaded.hash);
  return { loaded, graph, inputShapes, folded };
}
