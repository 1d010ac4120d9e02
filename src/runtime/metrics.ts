/**
 * The gateway's Prometheus metrics, through prom-client (correct label escaping, the exposition format, and the
 * process and event-loop metrics of the gateway process). Each Gateway owns its registry. Metric names are
 * defined up front; a metric's label names are those of its first use (prom-client fixes them at creation).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge' | 'histogram';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Definition { name: string; help: string; type: Kind; buckets: readonly number[] }

export class Metrics {
  readonly registry = new Registry();
  private readonly defs = new Map<string, Definition>();
  private readonly live = new Map<string, Counter | Gauge | Histogram>();
  private readonly readers = new Map<string, () => Array<[Labels, number]>>();

  constructor() {
    // process_* (CPU, memory, file descriptors) and nodejs_* (event-loop lag, heap, GC) of the gateway process.
    collectDefaultMetrics({ register: this.registry });
  }

  /** `buckets`: a histogram's upper bounds (default: latency buckets in seconds). */
  define(name: string, type: Kind, help: string, buckets: readonly number[] = BUCKETS): void {
    this.defs.set(name, { name, type, help, buckets });
  }

  private metric(name: string, labels: Labels): Counter | Gauge | Histogram {
    let m = this.live.get(name);
    if (!m) {
      const d = this.defs.get(name);
      if (!d) throw new Error(`metric ${name} is not defined`);
      const common = { name, help: d.help, labelNames: Object.keys(labels), registers: [this.registry] };
      m = d.type === 'counter' ? new Counter(common)
        : d.type === 'gauge' ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...d.buckets] });
      this.live.set(name, m);
    }
    return m;
  }

  inc(name: string, labels: Labels, by = 1): void {
    // prom-client throws on NaN or a negative increment; an unmeasured quantity is skipped, not a failed request.
    if (!Number.isFinite(by) || by < 0) return;
    (this.metric(name, labels) as Counter).inc(labels, by);
  }

  observe(name: string, labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return;
    (this.metric(name, labels) as Histogram).observe(labels, value);
  }

  /** A gauge read when scraped. */
  gauge(name: string, read: () => Array<[Labels, number]>): void {
    this.readers.set(name, read);
  }

  /** The exposition text (format 0.0.4), gauges read now. */
  async text(): Promise<string> {
    for (const [name, read] of this.readers) {
      const values = read();
      if (values.length === 0 && !this.live.has(name)) continue;
      const g = this.metric(name, values[0]?.[0] ?? {}) as Gauge;
      g.reset();
      for (const [l, v] of values) g.set(l, v);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
