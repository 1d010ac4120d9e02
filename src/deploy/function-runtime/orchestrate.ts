/**
 * Chains the slice functions of a pipeline over HTTP: each function is called as soon as all its inputs exist
 * (so the sub-slices of one group run in parallel), tensors travel in the binary encoding.
 */
import type { Feeds } from '../../graph/runner.js';
import type { PipelineConfig, PipelineFunction } from './config.js';
import { BINARY_TYPE, WireError, decodeBinary, encodeBinary } from './wire.js';

export type CallFunction = (fn: PipelineFunction, feeds: Feeds) => Promise<Feeds>;

export async function orchestrate(p: PipelineConfig, inputs: Feeds, call: CallFunction): Promise<Feeds> {
  const ready = new Map<string, Promise<Feeds[string]>>();
  for (const name of p.inputs) {
    if (!inputs[name]) throw new WireError(`missing model input '${name}'`);
    ready.set(name, Promise.resolve(inputs[name]!));
  }
  const pending: Promise<unknown>[] = [];
  for (const fn of p.functions) {
    const waits = fn.inputs.map((t) => {
      const r = ready.get(t);
      if (!r) throw new Error(`pipeline: '${fn.name}' reads '${t}' before anything produces it`);
      return r;
    });
    const result = Promise.all(waits).then((vals) => {
      const feeds: Feeds = {};
      fn.inputs.forEach((t, i) => { feeds[t] = vals[i]!; });
      return call(fn, feeds);
    });
    pending.push(result);
    for (const t of fn.outputs) {
      const tensor = result.then((out) => {
        if (!out[t]) throw new Error(`function '${fn.name}' returned no '${t}'`);
        return out[t]!;
      });
      tensor.catch(() => {}); // a failure surfaces once, through the outputs below, not as an unhandled rejection
      ready.set(t, tensor);
    }
  }
  const outs = await Promise.all(p.outputs.map((t) => ready.get(t) ?? Promise.reject(new Error(`nothing produces model output '${t}'`))));
  await Promise.all(pending); // a function whose outputs nobody reads still must have succeeded
  const res: Feeds = {};
  p.outputs.forEach((t, i) => { res[t] = outs[i]!; });
  return res;
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
