/** A slice as a node20-contract handler (OpenFaaS function, Knative container) speaking the Open Inference Protocol. */
import { loadHost } from './host.js';
import { faasHandler, type FaasHandler } from './faas-handler.js';
import { v2Handler } from './v2.js';
import { tensorMetas } from './meta.js';
import { requestBodyLimit, type TensorMeta } from '../../runtime/index.js';

/** A slice function: the handler of one generated function folder; its model name is the manifest function's. */
export function openfaasFunction(dir: string): FaasHandler {
  const host = loadHost(dir);
  const { name, inputs, outputs, tensors } = host.config;
  const metas = tensorMetas(inputs, tensors);
  return faasHandler(v2Handler({
    name, inputs: metas, outputs: tensorMetas(outputs, tensors), run: (feeds) => host.invoke(feeds),
  }), sliceBodyLimit(metas));
}

/**
 * A slice's body limit: from its inputs where every dim is fixed; a symbolic dim (batch, a range) can be as large as
 * the model's max batch or range top, which a slice's config does not carry — its callers (the entry, which checks
 * them) are trusted, and the handler's default limit applies.
 */
export function sliceBodyLimit(metas: readonly TensorMeta[]): number | undefined {
  return metas.every((m) => m.shape.every((d) => typeof d === 'number' && d >= 0)) ? requestBodyLimit(metas) : undefined;
}
