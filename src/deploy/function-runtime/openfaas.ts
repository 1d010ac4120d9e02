/** A slice as a node20-contract handler (OpenFaaS function, Knative container). */
import { loadHost } from './host.js';
import { feedsHandler, type FaasHandler } from './faas-handler.js';

/** A slice function: the handler of one generated function folder. */
export function openfaasFunction(dir: string): FaasHandler {
  const host = loadHost(dir);
  const { name, inputs, outputs } = host.config;
  return feedsHandler({ name, inputs, outputs }, (feeds) => host.invoke(feeds));
}

