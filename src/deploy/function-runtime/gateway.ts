/**
 * The entry function / gateway: chains the slice functions at the URLs in its environment. Bundled on its own
 * (gateway-entry.ts) so that the entry's package needs no onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orchestrate, httpCaller } from './orchestrate.js';
import type { PipelineConfig } from './config.js';
import { feedsHandler, type FaasHandler } from './faas-handler.js';

/** The entry function: chains the slices through the gateway URLs in its environment. */
export function openfaasEntry(dir: string, env: Record<string, string | undefined> = process.env): FaasHandler {
  const p = JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as PipelineConfig;
  const call = httpCaller(env);
  return feedsHandler({ model: p.model, inputs: p.inputs, outputs: p.outputs, functions: p.functions.map((f) => f.name) },
    (feeds) => orchestrate(p, feeds, call));
}
