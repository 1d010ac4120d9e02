/** A slice as a node20-contract handler (OpenFaaS function, Knative container) speaking the Open Inference Protocol. */
import { loadHost } from './host.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { v2Handler } from './v2.js';
import { tensorMetas } from './meta.js';

/** A slice function: the handler of one generated function folder; its model name is the manifest function's. */
export function openfaasFunction(dir: string): FaasHandler {
  const host = loadHost(dir);
  const { name, inputs, outputs, tensors } = host.config;
  return faasHandler(v2Handler({
    name, inputs: tensorMetas(inputs, tensors), outputs: tensorMetas(outputs, tensors), run: (feeds) => host.invoke(feeds),
  }));
}
