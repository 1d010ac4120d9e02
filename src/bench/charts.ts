/**
 * The report's figures as vega-lite specs (the paper's kinds: per-model cost and latency bars per strategy,
 * efficiency per model, predicted vs measured, memory timelines with slice boundaries), rendered to SVG by vega
 * and to PNG by resvg.
 */
import type * as vl from 'vega-lite';
import type { BenchRow } from './types.js';

export interface Timeline {
  model: string;
  /** Weights + live activations after each node, MB. */
  timelineMB: number[];
  /** Node positions where the mopar plan cuts (function boundaries). */
  cuts: number[];
}

export interface Chart { id: string; title: string; spec: vl.TopLevelSpec }

const ok = (r: BenchRow) => !r.error;

/**
 * One small panel per model (independent y scales: tiny and full-size models differ by orders of magnitude). Cost and
 * latency are on symlog scales (log above 1, linear near 0, so bars keep a base): layerwise costs 10-50x the others
 * and would flatten every other bar.
 */
function bars(id: string, title: string, rows: BenchRow[], field: string, label: string, log = false): Chart {
  return {
    id, title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title,
      data: { values: rows.filter(ok).map((r) => ({ model: r.model, strategy: r.strategy, value: field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r) })) },
      facet: { field: 'model', type: 'nominal', title: null },
      columns: 6,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 130, height: 110,
        mark: 'bar',
        encoding: {
          x: { field: 'strategy', type: 'nominal', title: null, axis: { labelAngle: -45 } },
          y: { field: 'value', type: 'quantitative', title: label, ...(log ? { scale: { type: 'symlog' } } : {}) },
          color: { field: 'strategy', type: 'nominal', legend: null },
          tooltip: [{ field: 'model' }, { field: 'strategy' }, { field: 'value', format: '.4g' }],
        },
      },
    } as vl.TopLevelSpec,
  };
}

export function chartsFor(rows: BenchRow[], platform: string, timelines: Timeline[] = []): Chart[] {
  const mine = rows.filter((r) => r.platform === platform);
  const charts: Chart[] = [
    bars(`cost-${platform}`, `Measured cost per million requests, ${platform} (USD)`, mine, 'measured.costPerMillionUSD', 'USD / 1M (symlog)', true),
    bars(`latency-${platform}`, `Measured end-to-end p50 latency, ${platform} (ms)`, mine, 'measured.p50Ms', 'p50 ms (symlog)', true),
    bars(`efficiency-${platform}`, `Measured resource efficiency, ${platform} (used / allocated memory × time)`, mine, 'measured.efficiency', 'efficiency'),
  ];
  const pts = mine.filter(ok).flatMap((r) => [
    { kind: 'latency (ms)', predicted: r.predicted.latencyMs, measured: r.measured.p50Ms, strategy: r.strategy, model: r.model },
    { kind: 'cost (USD/1M)', predicted: r.predicted.costPerMillionUSD, measured: r.measured.costPerMillionUSD, strategy: r.strategy, model: r.model },
  ]).filter((p) => p.predicted > 0 && p.measured > 0);
  charts.push({
    id: `predicted-${platform}`, title: `Predicted vs measured, ${platform}`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Predicted vs measured, ${platform} (log-log; the line is y = x)`,
      data: { values: pts },
      facet: { column: { field: 'kind', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent', y: 'independent' } },
      spec: {
        width: 260, height: 260,
        layer: [
          { mark: { type: 'point', filled: true }, encoding: {
            x: { field: 'predicted', type: 'quantitative', scale: { type: 'log' } },
            y: { field: 'measured', type: 'quantitative', scale: { type: 'log' } },
            color: { field: 'strategy', type: 'nominal' },
            tooltip: [{ field: 'model' }, { field: 'strategy' }, { field: 'predicted' }, { field: 'measured' }] } },
          { mark: { type: 'line', color: 'gray', strokeDash: [4, 4] }, encoding: {
            x: { field: 'predicted', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' } } },
        ],
      },
    } as vl.TopLevelSpec,
  });
  if (timelines.length) {
    charts.push({
      id: 'timelines', title: 'Memory timelines with the mopar plan\'s slice boundaries',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Memory over one inference (weights + live activations, MB); red rules: mopar slice boundaries (platform where it cut most)',
        columns: 3,
        concat: timelines.map((t) => ({
          title: t.model, width: 240, height: 120,
          layer: [
            { data: { values: t.timelineMB.map((mb, i) => ({ node: i, mb })) }, mark: 'area',
              encoding: { x: { field: 'node', type: 'quantitative', title: 'node (topological order)' }, y: { field: 'mb', type: 'quantitative', title: 'MB' } } },
            { data: { values: t.cuts.map((c) => ({ node: c })) }, mark: { type: 'rule', color: 'red' },
              encoding: { x: { field: 'node', type: 'quantitative' } } },
          ],
        })),
      } as vl.TopLevelSpec,
    });
  }
  return charts;
}
