/** A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with labels. */

type Labels = Record<string, string>;
const key = (l: Labels) => Object.entries(l).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Metric { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; buckets: readonly number[] }

export class Metrics {
  private readonly defs = new Map<string, Metric>();
  private readonly values = new Map<string, Map<string, number>>();
  private readonly hists = new Map<string, Map<string, { buckets: number[]; sum: number; count: number }>>();
  private readonly gauges = new Map<string, () => Array<[Labels, number]>>();

  /** `buckets`: a histogram's upper bounds (default: latency buckets in seconds). */
  define(name: string, type: Metric['type'], help: string, buckets: readonly number[] = BUCKETS): void {
    this.defs.set(name, { name, type, help, buckets });
  }

  inc(name: string, labels: Labels, by = 1): void {
    const m = this.values.get(name) ?? new Map<string, number>();
    this.values.set(name, m);
    const k = key(labels);
    m.set(k, (m.get(k) ?? 0) + by);
  }

  observe(name: string, labels: Labels, seconds: number): void {
    const m = this.hists.get(name) ?? new Map();
    this.hists.set(name, m);
    const k = key(labels);
    const bounds = this.defs.get(name)?.buckets ?? BUCKETS;
    const h = m.get(k) ?? { buckets: bounds.map(() => 0), sum: 0, count: 0 };
    m.set(k, h);
    bounds.forEach((b, i) => { if (seconds <= b) h.buckets[i]!++; });
    h.sum += seconds;
    h.count++;
  }

  /** A gauge read when scraped. */
  gauge(name: string, read: () => Array<[Labels, number]>): void {
    this.gauges.set(name, read);
  }

  text(): string {
    const out: string[] = [];
    for (const d of this.defs.values()) {
      out.push(`# HELP ${d.name} ${d.help}`, `# TYPE ${d.name} ${d.type}`);
      if (d.type === 'histogram') {
        for (const [k, h] of this.hists.get(d.name) ?? []) {
          const sep = k ? ',' : '';
          d.buckets.forEach((b, i) => out.push(`${d.name}_bucket{${k}${sep}le="${b}"} ${h.buckets[i]}`));
          out.push(`${d.name}_bucket{${k}${sep}le="+Inf"} ${h.count}`, `${d.name}_sum{${k}} ${h.sum}`, `${d.name}_count{${k}} ${h.count}`);
        }
      } else if (this.gauges.has(d.name)) {
        for (const [l, v] of this.gauges.get(d.name)!()) out.push(`${d.name}{${key(l)}} ${v}`);
      } else {
        for (const [k, v] of this.values.get(d.name) ?? []) out.push(`${d.name}{${k}} ${v}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
