/**
 * A one-function deployment: the slice's own function is the model's endpoint. An entry in front of a single
 * function only adds an HTTP hop and a second service to bill (issue 28: the unsplit function measured +1 ms
 * through the entry on loopback, and the entry is billed for every request), so deploy writes one function that
 * serves the model's name, inputs, limits and metrics as the entry would, and runs the model in its own process.
 */
import { atMaxBatch, atRangeTop, requestBodyLimit } from '../../runtime/index.js';
import { pipelineModel, readPipeline } from './chain-entry.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { loadHost } from './host.js';
import { promMetrics } from './metrics.js';
import { orchestrate, pipelineConstants } from './orchestrate.js';
import { v2Handler } from './v2.js';

/** The folder holds pipeline.json (the model, one function) beside the slice's function.json and model file. */
export function openfaasModel(dir: string): FaasHandler {
  const p = readPipeline(dir);
  if (p.functions.length !== 1) throw new Error(`pipeline.json names ${p.functions.length} functions; a model function runs exactly one`);
  const host = loadHost(dir);
  const constants = pipelineConstants(p);
  const metrics = promMetrics();
  const model = pipelineModel(p, (feeds) => orchestrate(p, feeds, (_fn, f) => host.invoke(f), constants));
  return faasHandler(v2Handler(model, { metrics }), requestBodyLimit(atRangeTop(atMaxBatch(model.inputs, p.maxBatch), p.ranges)));
}
