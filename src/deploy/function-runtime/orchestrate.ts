/**
 * Chains the slice functions of a pipeline over HTTP through the one dataflow scheduler (core/dataflow): each
 * function is called as soon as all its inputs exist (so the sub-slices of one group run in parallel), tensors
 * travel in the binary encoding.
 */
import { runDataflow } from '../../core/index.js';
import type { Feeds } from '../../graph/index.js';
import type { PipelineConfig, PipelineFunction } from './config.js';
import { BINARY_TYPE, WireError, decodeBinary, encodeBinary } from './wire.js';

export type CallFunction = (fn: PipelineFunction, feeds: Feeds) => Promise<Feeds>;

export function orchestrate(p: PipelineConfig, inputs: Feeds, call: CallFunction): Promise<Feeds> {
  return runDataflow(p, inputs, call, { missingInput: (name) => new WireError(`missing model input '${name}'`) });
}

/** Calls functions at the URLs named by their `urlEnv` variables. */
export function httpCaller(env: Record<string, string | undefined> = process.env): CallFunction {
  return async (fn, feeds) => {
    const url = env[fn.urlEnv];
    if (!url) throw new Error(`environment variable ${fn.urlEnv} (URL of function '${fn.name}') is not set`);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': BINARY_TYPE, accept: BINARY_TYPE }, body: new Uint8Array(encodeBinary(feeds)) });
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw new Error(`function '${fn.name}' at ${url} answered ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    return decodeBinary(body);
  };
}
