/** The entry's Prometheus metrics (prom-client; bundled into the entry only), named as `mopar serve` names them. */
import { Counter, Histogram, Registry } from 'prom-client';
import type { V2Metrics } from './v2.js';

export function promMetrics(): V2Metrics {
  const registry = new Registry();
  const requests = new Counter({ name: 'mopar_requests_total', help: 'Inference requests by model and HTTP status.', labelNames: ['model', 'code'], registers: [registry] });
  const duration = new Histogram({ name: 'mopar_request_duration_seconds', help: 'End-to-end inference latency at the entry.', labelNames: ['model'], registers: [registry] });
  return {
    request(model, code, seconds) {
      requests.inc({ model, code: String(code) });
      if (code === 200) duration.observe({ model }, seconds);
    },
    async expose() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
