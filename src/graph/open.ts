/** The front door most verbs use: load a file, build the IR, fix input shapes, learn every tensor's shape. */
import type { Graph } from './ir.js';
import { foldConstants } from './fold.js';
import { loadModel, type LoadedModel } from './onnx-io.js';
import { checkInputRanges, resolveInputShapes, type InputRanges, type InputShapes } from './input-shapes.js';
import { inferShapes } from './shapes.js';

export interface OpenedModel {
  loaded: LoadedModel;
  graph: Graph;
  inputShapes: InputShapes;
  /** Nodes that computed only from constants and were replaced by their values. */
  folded: number;
}

/** `ranges`: input dims that vary (`--input NAME=LO..HI`; `inputOverrides` holds them at HI), kept symbolic. */
export async function openModel(path: string, inputOverrides: InputShapes = {}, opts: { shapes?: boolean; ranges?: InputRanges } = {}): Promise<OpenedModel> {
  const loaded = loadModel(path);
  // Constant subgraphs become weights before anything looks at the graph (see fold.ts).
  const { graph, folded } = await foldConstants(loaded.proto);
  if (opts.ranges && Object.keys(opts.ranges).length) {
    checkInputRanges(graph, opts.ranges);
    graph.ranges = opts.ranges;
  }
  const inputShapes = resolveInputShapes(graph, inputOverrides);
  if (opts.shapes !== false) await inferShapes(graph, inputShapes, loaded.hash);
  return { loaded, graph, inputShapes, folded };
}
