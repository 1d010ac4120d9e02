/** Calls a slice function over the Open Inference Protocol (binary tensor extension both ways). */
import { errorMessage } from '../../core/index.js';
import { infer } from '../../runtime/index.js';
import type { CallFunction } from './orchestrate.js';
import { UpstreamError } from './v2.js';

/** Functions at the URLs named by their `urlEnv` variables; each serves its slice as model `<function name>`. */
export function v2Caller(env: Record<string, string | undefined> = process.env): CallFunction {
  return async (fn, feeds) => {
    const url = env[fn.urlEnv];
    if (!url) throw new Error(`environment variable ${fn.urlEnv} (URL of function '${fn.name}') is not set`);
    try {
      return (await infer(url, fn.name, feeds)).outputs;
    } catch (err) {
      throw new UpstreamError(`function '${fn.name}': ${errorMessage(err)}`);
    }
  };
}
