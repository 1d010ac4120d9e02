/** The entry's Prometheus metrics (prom-client; bundled into the entry only), named as `mopar serve` names them. */
import { Counter, Histogram, Registry } from 'prom-client';
import type { V2Metrics } from './v2.js';

/** Also what the batching entry counts: batch sizes per group, and latency and SLO misses per application. */
export interface EntryMetrics extends V2Metrics {
  batch(model: string, group: string, size: number): void;
  app(model: string, app: string, seconds: number, sloMs: number): void;
}

export function promMetrics(): EntryMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'mopar_requests_total', help: 'Inference requests by model and HTTP status.', labelNames: ['model', 'code'], registers });
  const duration = new Histogram({ name: 'mopar_request_duration_seconds', help: 'End-to-end inference latency at the entry.', labelNames: ['model'], registers });
  const batchSize = new Histogram({
    name: 'mopar_batch_size', help: 'Requests per dispatched batch (one invocation per function per batch).', labelNames: ['model', 'group'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers,
  });
  const appDuration = new Histogram({ name: 'mopar_app_request_duration_seconds', help: 'End-to-end latency per application (batched requests).', labelNames: ['model', 'app'], registers });
  const appRequests = new Counter({ name: 'mopar_app_requests_total', help: 'Answered requests per application (batched requests).', labelNames: ['model', 'app'], registers });
  const appMisses = new Counter({ name: 'mopar_app_slo_misses_total', help: 'Requests answered later than their application\'s SLO.', labelNames: ['model', 'app'], registers });
  return {
    request(model, code, seconds) {
      requests.inc({ model, code: String(code) });
      if (code === 200) duration.observe({ model }, seconds);
    },
    batch(model, group, size) { batchSize.observe({ model, group }, size); },
    app(model, app, seconds, sloMs) {
      appDuration.observe({ model, app }, seconds);
      appRequests.inc({ model, app });
      if (seconds * 1000 > sloMs) appMisses.inc({ model, app });
    },
    async expose() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
