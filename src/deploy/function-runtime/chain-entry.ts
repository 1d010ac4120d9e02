/**
 * The entry function / gateway: serves the whole model over the Open Inference Protocol and chains the slice
 * functions at the URLs in its environment. Bundled on its own (chain-entry-bundle.ts) so that the entry's package
 * needs no onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orchestrate, pipelineConstants } from './orchestrate.js';
import { v2Caller } from './caller.js';
import type { PipelineConfig } from './config.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { v2Handler, type V2Model } from './v2.js';
import { tensorMetas } from './meta.js';
import { promMetrics, type EntryMetrics } from './metrics.js';
import { Batcher, BatchInputError, HttpError, atMaxBatch, atRangeTop, rangeParameters, requestBodyLimit } from '../../runtime/index.js';
import type { Feeds } from '../../graph/index.js';

export function readPipeline(dir: string): PipelineConfig {
  return JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as PipelineConfig;
}

/** The model as the entry serves it: `run` is the chain of functions. */
export function pipelineModel(p: PipelineConfig, run: V2Model['run']): V2Model {
  return {
    name: p.model, inputs: tensorMetas(p.inputs, p.tensors), outputs: tensorMetas(p.outputs, p.tensors),
    parameters: { functions: p.functions.length, ...(p.maxBatch !== undefined ? { max_batch_size: p.maxBatch } : {}), ...rangeParameters(p.ranges) },
    maxBatch: p.maxBatch, ranges: p.ranges, run,
  };
}

/**
 * With `p.batching`, requests that name their application are batched by the runtime's Batcher (the one `mopar
 * serve --batching` runs): a batch is one run of the chain, one call per function; answers are split per request.
 */
export function batchedModel(model: V2Model, p: PipelineConfig, metrics?: EntryMetrics): V2Model {
  if (!p.batching) return model;
  // A batch holds no more rows than the slices' memory is sized for (maxBatch), as under `mopar serve`.
  const batcher = new Batcher({ ...p.batching, maxRows: p.batching.maxRows ?? p.maxBatch }, async (feeds) => {
    const t0 = performance.now();
    const outputs = await model.run(feeds);
    return { outputs, calls: [], edges: [], ms: performance.now() - t0 };
  }, (group, size, result) => { if (result) metrics?.batch(p.model, group, size); });
  return {
    ...model,
    async batch(app: string, feeds: Feeds) {
      const sloMs = batcher.sloOf(app);
      if (sloMs === undefined) throw new HttpError(400, `unknown application '${app.slice(0, 100)}' for model '${p.model}' (known: ${batcher.apps.join(', ')})`);
      const t0 = performance.now();
      const reply = await batcher.submit(app, feeds, t0).catch((e: unknown) => { throw e instanceof BatchInputError ? new HttpError(400, e.message) : e; });
      metrics?.app(p.model, app, (performance.now() - t0) / 1000, sloMs);
      return { outputs: reply.outputs, batchSize: reply.batchSize };
    },
  };
}

/** The entry function: chains the slices through the URLs in its environment (MOPAR_URL_*), batching per plan. */
export function openfaasEntry(dir: string, env: Record<string, string | undefined> = process.env): FaasHandler {
  const p = readPipeline(dir);
  const call = v2Caller(env);
  const metrics = promMetrics();
  const constants = pipelineConstants(p);
  const model = pipelineModel(p, (feeds) => orchestrate(p, feeds, call, constants));
  return faasHandler(v2Handler(batchedModel(model, p, metrics), { metrics }), requestBodyLimit(atRangeTop(atMaxBatch(model.inputs, p.maxBatch), p.ranges)));
}
