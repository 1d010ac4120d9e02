/**
 * The entry function / gateway: serves the whole model over the Open Inference Protocol and chains the slice
 * functions at the URLs in its environment. Bundled on its own (chain-entry-bundle.ts) so that the entry's package
 * needs no onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orchestrate } from './orchestrate.js';
import { v2Caller } from './caller.js';
import type { PipelineConfig } from './config.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { v2Handler, type V2Model } from './v2.js';
import { tensorMetas } from './meta.js';
import { promMetrics } from './metrics.js';

export function readPipeline(dir: string): PipelineConfig {
  return JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as PipelineConfig;
}

/** The model as the entry serves it: `run` is the chain of functions. */
export function pipelineModel(p: PipelineConfig, run: V2Model['run']): V2Model {
  return {
    name: p.model, inputs: tensorMetas(p.inputs, p.tensors), outputs: tensorMetas(p.outputs, p.tensors),
    parameters: { functions: p.functions.length }, run,
  };
}

/** The entry function: chains the slices through the URLs in its environment (MOPAR_URL_*). */
export function openfaasEntry(dir: string, env: Record<string, string | undefined> = process.env): FaasHandler {
  const p = readPipeline(dir);
  const call = v2Caller(env);
  return faasHandler(v2Handler(pipelineModel(p, (feeds) => orchestrate(p, feeds, call)), { metrics: promMetrics() }));
}
