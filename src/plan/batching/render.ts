/** A batching result as text a person reads: the chosen groups, then every strategy's cost per request. */
import type { BatchingResult } from './planner.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const perM = (usd: number) => (Number.isFinite(usd) ? `$${(usd * 1e6).toFixed(4)}` : 'n/a');

export function renderBatching(r: BatchingResult): string {
  const groups = table(
    ['apps', 'SLO ms', 'req/s', 'max batch', 'timeout ms', 'mean batch', 'p99 ms', 'functions', '$/1M req'],
    r.groups.map((g) => [g.apps.join('+'), g.sloMs, g.ratePerSec, g.maxBatch, g.timeoutMs.toFixed(1),
      g.predicted.meanBatch.toFixed(2), g.predicted.p99Ms.toFixed(1),
      g.functions.map((f) => `${f.memoryMB}MB/${f.vcpu}v`).join(' '), perM(g.predicted.costPerRequestUSD)]),
  );
  const base = r.strategies.find((s) => s.strategy === 'unbatched')?.costPerRequestUSD ?? NaN;
  const strategies = table(
    ['strategy', 'groups', '$/1M req', 'vs unbatched', 'feasible'],
    r.strategies.map((s) => [s.strategy, s.groups.length, perM(s.costPerRequestUSD),
      Number.isFinite(base) && s.costPerRequestUSD > 0 ? `${(base / s.costPerRequestUSD).toFixed(2)}× cheaper` : 'n/a',
      s.feasible ? 'yes' : `no (${s.infeasibleApps.join(', ')})`]),
  );
  return [`batching on ${r.platform} (p99 model: docs/batching.md)`, groups, '', strategies, ...r.notes.map((n) => `note: ${n}`)].join('\n');
}
