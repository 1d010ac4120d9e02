/** Loads one generated function folder: its function.json and, once per process, the slice's session. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFunctionCore, type FunctionCore } from '../../runtime/lean.js';
import type { Feeds } from '../../graph/index.js';
import type { FunctionConfig } from './config.js';
import { WireError } from './wire.js';

export interface Host {
  config: FunctionConfig;
  /** Runs the slice on the inputs it names (extra tensors are ignored); returns only its outputs. */
  invoke(feeds: Feeds): Promise<Feeds>;
  core(): Promise<FunctionCore>;
}

export function loadHost(dir: string): Host {
  const config = JSON.parse(readFileSync(join(dir, 'function.json'), 'utf8')) as FunctionConfig;
  let core: Promise<FunctionCore> | undefined;
  const getCore = () => (core ??= createFunctionCore(join(dir, config.model), {
    threads: config.threads, inputs: config.inputs, outputs: config.outputs,
  }));
  // Load the slice at start-up (Lambda's init phase, the container's start), not on the first request; a load
  // error still surfaces on every invocation.
  getCore().catch(() => {});
  return {
    config,
    core: getCore,
    async invoke(feeds) {
      const mine: Feeds = {};
      for (const name of config.inputs) {
        const t = feeds[name];
        if (!t) throw new WireError(`function '${config.name}' needs input tensor '${name}'`);
        mine[name] = t;
      }
      const out = await (await getCore()).invoke(mine);
      const res: Feeds = {};
      for (const name of config.outputs) {
        if (!out[name]) throw new Error(`function '${config.name}' did not produce '${name}'`);
        res[name] = out[name]!;
      }
      return res;
    },
  };
}
