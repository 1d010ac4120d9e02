/**
 * A profile for people: top operator types by share, RD types, layers, CPU scaling, and the memory timeline as a
 * small terminal chart; `plotTimeline` writes the same timeline as an SVG or PNG chart (vega-lite → vega → resvg).
 */
import { loadWarning, MoparError, errorMessage, renderSvg, svgToPng } from '../core/index.js';
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Profile } from './types.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const mb = (x: number) => `${x.toFixed(1)} MB`;

export function renderProfile(p: Profile, width = 64): string {
  const m = p.memory;
  const lines: string[] = [];
  lines.push(`${p.model}  (${p.nodes.length} nodes, ${p.layers.length} layers, ${p.threads} thread${p.threads > 1 ? 's' : ''}, ${p.runs} runs)`);
  lines.push(`  latency     ${p.measuredMs.toFixed(2)} ms end-to-end p50 (optimised session)` +
    (p.measuredCpuMs !== undefined ? `, CPU ${p.measuredCpuMs.toFixed(2)} ms/run` : '') + `; per-node: ${p.attribution}` +
    (p.attributionScale !== undefined ? `, scale ${p.attributionScale.toFixed(3)}` : ''));
  lines.push(`  memory      weights ${mb(m.weightsMB)}, peak activations ${mb(m.peakActivationMB)}, fluctuation ${pct(m.fluctuation)}` +
    (m.layerFluctuation !== undefined ? ` (per layer ${pct(m.layerFluctuation)})` : ''));
  lines.push(`  peak RSS    predicted ${mb(m.predictedPeakRssMB)}` +
    (m.rssMeasured === false ? ' (not measured)' : `, measured ${mb(m.measuredPeakRssMB)} (${signed(m.predictedPeakRssMB / m.measuredPeakRssMB - 1)}), baseline ${mb(m.baselineRssMB)}` +
      (m.measuredPeakRssDefaultMallocMB ? `; default malloc ${mb(m.measuredPeakRssDefaultMallocMB)}` : '')));
  lines.push(`  RD ops      ${p.rdOps.map((o) => `${o} ${pct(p.opShare[o] ?? 0)}`).join(', ') || '(none)'}`);
  lines.push('');
  lines.push('  top operator types by time');
  const top = Object.entries(p.opShare).slice(0, 8);
  const opW = Math.max(4, ...top.map(([o]) => o.length));
  for (const [op, s] of top) lines.push(`    ${op.padEnd(opW)} ${pct(s).padStart(6)} ${'█'.repeat(Math.round(s * 30))}`);
  if (p.cpuScaling.length) {
    lines.push('');
    lines.push('  CPU scaling   ' + p.cpuScaling.map((c) => `${c.vcpu} vCPU${c.method === 'cgroup-quota' ? ' (quota)' : ` (${c.threads}t)`}: ${c.ms.toFixed(1)} ms`).join(', '));
  }
  lines.push('');
  lines.push(`  memory timeline: weights + live activations after each node (MB), ${p.nodes.length} nodes`);
  lines.push(...sparkChart(m.timelineMB.map((a) => a + m.weightsMB), width, 6).map((l) => `    ${l}`));
  const warning = loadWarning(p.load, 'latencies');
  if (warning) lines.push('', `warning: ${warning}`);
  return lines.join('\n');
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
}

/** A block chart of `values` resampled (max per bucket) to `width` columns and `height` rows. */
export function sparkChart(values: readonly number[], width: number, height: number): string[] {
  if (values.length === 0) return ['(no nodes)'];
  const cols = Math.min(width, values.length);
  const buckets = Array.from({ length: cols }, (_, c) => {
    const a = Math.floor((c * values.length) / cols);
    const b = Math.max(a + 1, Math.floor(((c + 1) * values.length) / cols));
    return Math.max(...values.slice(a, b));
  });
  const max = Math.max(...buckets);
  const min = Math.min(...buckets);
  const lo = Math.max(0, min - (max - min) * 0.1);
  const span = max - lo || 1;
  const blocks = ' ▁▂▃▄▅▆▇█';
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    let line = '';
    for (const v of buckets) {
      const level = ((v - lo) / span) * height - r;
      line += level >= 1 ? '█' : level <= 0 ? ' ' : blocks[Math.round(level * 8)]!;
    }
    const label = r === height - 1 ? max.toFixed(1) : r === 0 ? lo.toFixed(1) : '';
    rows.push(`${label.padStart(8)} │${line}`);
  }
  rows.push(`${''.padStart(8)} └${'─'.repeat(cols)}`);
  return rows;
}

/** Writes the memory timeline chart; the format follows the extension (.svg or .png). */
export async function plotTimeline(p: Profile, file: string): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new MoparError(`--plot writes .svg or .png, not '${ext || file}'`);
  const w = p.memory.weightsMB;
  const values = p.nodes.flatMap((n, i) => [
    { i, node: n.name, op: n.op, kind: 'activations', mb: p.memory.timelineMB[i]! },
    { i, node: n.name, op: n.op, kind: 'weights + activations', mb: p.memory.timelineMB[i]! + w },
  ]);
  const cuts = (p.cutPoints ?? []).map((c) => ({ i: c + 0.5 }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${p.model}: memory over one inference (peak RSS ` +
      (p.memory.rssMeasured === false ? '' : `measured ${p.memory.measuredPeakRssMB.toFixed(0)} MB, `) +
      `predicted ${p.memory.predictedPeakRssMB.toFixed(0)} MB)`,
    width: 720, height: 280,
    layer: [
      {
        data: { values: cuts },
        mark: { type: 'rule', color: '#ccc', strokeWidth: 0.5 },
        encoding: { x: { field: 'i', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'i', type: 'quantitative', title: 'node (topological order); grey rules: layer cut points' },
          y: { field: 'mb', type: 'quantitative', title: 'MB' },
          color: { field: 'kind', type: 'nominal', title: null, legend: { labelLimit: 300, orient: 'bottom' } },
          tooltip: [{ field: 'node' }, { field: 'op' }, { field: 'mb', format: '.2f' }],
        },
      },
    ],
  };
  try {
    const svg = await renderSvg(spec as never);
    writeFileSync(file, ext === '.svg' ? svg : await svgToPng(svg));
  } catch (err) {
    throw new MoparError(`cannot write plot ${file}: ${errorMessage(err)}`);
  }
}
