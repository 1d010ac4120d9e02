/**
 * A one-function deployment: the slice's own function is the model's endpoint. An entry in front of a single
 * function only adds an HTTP hop and a second service to bill (issue 28: about +1 ms through the entry on loopback
 * in a first, loaded measurement; the entry is billed for every request), so deploy writes one function that
 * serves the model's name, inputs, limits and metrics as the entry would, and runs the model in its own process.
 * On Lambda the same spares a 512 MB entry waiting on a Step Functions execution for every request.
 */
import { atMaxBatch, atRangeTop, requestBodyLimit } from '../../runtime/index.js';
import { pipelineModel, readPipeline } from './chain-entry.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { loadHost } from './host.js';
import { promMetrics } from './metrics.js';
import { orchestrate, pipelineConstants } from './orchestrate.js';
import { v2Handler } from './v2.js';
import { lambdaEntry } from './lambda-entry.js';
import type { PipelineConfig } from './config.js';
import type { Feeds } from '../../graph/index.js';

/** The model run in this process: the folder holds pipeline.json (one function) beside function.json and the model. */
function inProcess(dir: string): { p: PipelineConfig; run: (feeds: Feeds) => Promise<Feeds> } {
  const p = readPipeline(dir);
  if (p.functions.length !== 1) throw new Error(`pipeline.json names ${p.functions.length} functions; a model function runs exactly one`);
  const host = loadHost(dir);
  const constants = pipelineConstants(p);
  return { p, run: (feeds) => orchestrate(p, feeds, (_fn, f) => host.invoke(f), constants) };
}

/** OpenFaaS and Knative: the node20 handler contract. */
export function openfaasModel(dir: string): FaasHandler {
  const { p, run } = inProcess(dir);
  const metrics = promMetrics();
  const model = pipelineModel(p, run);
  return faasHandler(v2Handler(model, { metrics }), requestBodyLimit(atRangeTop(atMaxBatch(model.inputs, p.maxBatch), p.ranges)));
}

/** AWS Lambda: the function URL's handler, as the entry's, with no state machine behind it. */
export function lambdaModel(dir: string): ReturnType<typeof lambdaEntry> {
  return lambdaEntry(dir, { run: inProcess(dir).run });
}
