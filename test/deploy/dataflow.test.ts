/**
 * The shared dataflow cases against the deployed gateway's orchestrate, each function called through the
 * function-host core a deployed function runs (in process here instead of over HTTP).
 */
import { createFunctionCore, type FunctionCore } from '../../src/runtime/function-core.js';
import { orchestrate, pipelineConstants } from '../../src/deploy/function-runtime/orchestrate.js';
import type { PipelineConfig } from '../../src/deploy/function-runtime/config.js';
import { loadManifest } from '../../src/partition/index.js';
import { dataflowSuite } from '../fixtures/dataflow-cases.js';

dataflowSuite({
  name: 'orchestrate (deployed gateway)',
  async open(dir) {
    const { manifest: m, paths } = loadManifest(dir);
    const cores = new Map<string, FunctionCore>();
    for (const f of m.functions) cores.set(f.name, await createFunctionCore(paths.get(f.name)!, { inputs: f.inputs, outputs: f.outputs }));
    const config: PipelineConfig = {
      model: m.model, inputs: m.inputs, outputs: m.outputs, tensors: m.tensors,
      functions: m.functions.map((f) => ({ name: f.name, inputs: f.inputs, outputs: f.outputs, urlEnv: 'UNUSED' })),
      ...(m.constants ? { constants: m.constants } : {}),
    };
    const constants = pipelineConstants(config);
    return {
      // As v2Caller does over HTTP: a failure names the function.
      run: (feeds) => orchestrate(config, feeds, async (fn, ins) => {
        try { return await cores.get(fn.name)!.invoke(ins); } catch (err) { throw new Error(`function '${fn.name}' failed: ${(err as Error).message}`, { cause: err }); }
      }, constants),
      close: async () => { for (const c of cores.values()) await c.close(); },
    };
  },
});
