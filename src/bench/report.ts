/** Writes OUT/report.json, OUT/report.md (tables + PNG charts) and OUT/report.html (inline SVG charts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { renderSvg, svgToPng } from '../core/index.js';
import { chartsFor, type Timeline } from './charts.js';
import type { BenchReport, BenchRow, PlatformSummary } from './types.js';

/** Targets from the evaluation issue; the report says by how much each is met or missed. */
export const TARGETS = { costRatio: 4, latencyRatio: 0.85, efficiency: 0.85, cheapestShare: 10 / 12 };

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toPrecision(d) : 'n/a');
const money = (x: number) => (Number.isFinite(x) ? `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}` : 'n/a');

/** A warning when some cells were measured on a loaded machine (their timings are inflated); else nothing. */
export function loadedCellsLine(rows: BenchRow[]): string[] {
  const loaded = rows.filter((r) => r.load?.loaded);
  if (loaded.length === 0) return [];
  const worst = loaded.reduce((a, r) => (r.load!.loadAvg > a.load!.loadAvg ? r : a));
  return [`warning: ${loaded.length} of ${rows.length} cells were measured on a loaded machine (load average up to `
    + `${worst.load!.loadAvg.toFixed(1)} on ${worst.load!.cores} cores): their timings and costs are inflated; `
    + 'measure again on an idle machine (rows marked ²).'];
}

export function summaryTable(summary: Record<string, PlatformSummary>): string {
  const lines = [
    '| platform | cost ÷ (unsplit / mopar, geomean) | p50 ratio (mopar / unsplit) | efficiency (mean) | mopar cheapest | models |',
    '|---|---|---|---|---|---|',
  ];
  for (const [p, s] of Object.entries(summary)) {
    lines.push(`| ${p} | ${fmt(s.costRatioGeomean)}× | ${fmt(s.latencyRatioGeomean)} | ${fmt(s.efficiencyMean * 100)} % | ${s.cheapestModels} / ${s.models} | ${s.models} |`);
  }
  return lines.join('\n');
}

function targetLines(summary: Record<string, PlatformSummary>): string[] {
  const out: string[] = [];
  for (const [p, s] of Object.entries(summary)) {
    const verdict = (okay: boolean) => (okay ? 'met' : 'missed');
    out.push(`- **${p}**: cost ÷${fmt(s.costRatioGeomean)} vs target ÷${TARGETS.costRatio} (${verdict(s.costRatioGeomean >= TARGETS.costRatio)}, ` +
      `${fmt((s.costRatioGeomean / TARGETS.costRatio - 1) * 100, 2)} %); p50 ratio ${fmt(s.latencyRatioGeomean)} vs ≤ ${TARGETS.latencyRatio} ` +
      `(${verdict(s.latencyRatioGeomean <= TARGETS.latencyRatio)}); efficiency ${fmt(s.efficiencyMean * 100)} % vs ≥ ${TARGETS.efficiency * 100} % ` +
      `(${verdict(s.efficiencyMean >= TARGETS.efficiency)}); mopar cheapest on ${s.cheapestModels} of ${s.models} models ` +
      `(target ≥ ${Math.ceil(TARGETS.cheapestShare * s.models)}: ${verdict(s.cheapestModels >= Math.ceil(TARGETS.cheapestShare * s.models))}).`);
  }
  return out;
}

function rowsTable(rows: BenchRow[]): string {
  const lines = [
    '| model | strategy | functions (sub-slices) | p50 ms | p95 ms | cold ms | cost / 1M | predicted cost | efficiency | comm share | max rel err |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.model} | ${r.strategy} | — | — | — | — | — | — | — | — | failed: ${r.error.replace(/\|/g, '/')} |`);
      continue;
    }
    const m = r.measured;
    const c = m.measuredAs === 'composed' ? ' ³' : '';
    lines.push(`| ${r.model} | ${r.strategy}${r.load?.loaded ? ' ²' : ''} | ${r.functions} (${r.subSlices}) | ${fmt(m.p50Ms)}${c} | ${fmt(m.p95Ms)}${c} | ${fmt(m.coldStartMs)} | ` +
      `${money(m.costPerMillionUSD)}${m.billedFrom ? ` ¹${m.costSharedCoresPerMillionUSD !== undefined ? ` (${money(m.costSharedCoresPerMillionUSD)} on shared cores)` : ''}` : ''} | ${money(r.predicted.costPerMillionUSD)} | ${fmt(m.efficiency * 100)} % | ${fmt(m.commShare * 100, 2)} % | ${r.verify.maxRelErr.toExponential(1)} |`);
  }
  if (rows.some((r) => r.measured.billedFrom)) {
    lines.push('', '¹ Plan with parallel sub-slices: billed from a second pass that runs one function at a time, so each ' +
      'duration reflects its own CPU quota as on a platform; in brackets, the bill from the parallel pass, where ' +
      'the sub-slices competed for this machine\'s cores. Latency columns come from the parallel pass, unless marked ³.');
  }
  if (rows.some((r) => r.measured.measuredAs === 'composed')) {
    lines.push('', '³ Composed: the parallel sub-slices need more vCPU than this machine\'s cores, so the latency is each request of ' +
      'the one-at-a-time pass composed along the DAG (its time outside the calls once, plus the longest path through its calls).');
  }
  return lines.join('\n');
}

export async function writeReport(outDir: string, report: BenchReport, timelines: Timeline[] = []): Promise<void> {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const platforms = Object.keys(report.summary);
  const md: string[] = [
    '# mopar bench report', '',
    `Measured ${report.startedAt} → ${report.finishedAt} on ${report.machine.cpus} × ${report.machine.cpuModel}, ` +
    `${report.machine.memoryGB} GB, Node ${report.machine.node}, onnxruntime ${report.machine.onnxruntime}; ` +
    `cgroup limits ${report.machine.cgroups ? 'enforced' : 'NOT enforced (cgroups not writable)'}. ` +
    `${report.config.warmRequests} warm + ${report.config.coldRequests} cold requests per cell. ` +
    'Every strategy of a model and platform is planned under one SLO: the unsplit function\'s predicted latency.', '',
    '## Summary', '', summaryTable(report.summary), '',
    'Ratios are geometric means over models of measured cells (cost from measured function durations under each ' +
    'platform\'s billing). When a run has full-size models the summary is over those only; `-tiny` rows are smoke ' +
    'checks. All processes share this machine\'s cores: parallel sub-slices compete for them, unlike on a real ' +
    'platform, so plans with parallel groups are billed from a one-function-at-a-time pass (marked ¹) and their ' +
    'latency is the shared-cores figure (pessimistic).', '', ...loadedCellsLine(report.rows).flatMap((l) => [l, '']), ...noiseLines(report),
    '## Targets', '', ...targetLines(report.summary), '',
  ];
  const html: string[] = [
    '<!doctype html><html><head><meta charset="utf-8"><title>mopar bench report</title>',
    '<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>',
    '</head><body><h1>mopar bench report</h1>',
  ];
  for (const p of platforms) {
    const rows = report.rows.filter((r) => r.platform === p);
    md.push(`## ${p}`, '', rowsTable(rows), '');
    html.push(`<h2>${p}</h2>`);
    for (const c of chartsFor(report.rows, p, p === platforms[0] ? timelines : [])) {
      const svg = await renderSvg(c.spec);
      writeFileSync(join(outDir, 'charts', `${c.id}.png`), await svgToPng(svg));
      md.push(`![${c.title}](charts/${c.id}.png)`, '');
      html.push(`<figure>${svg}<figcaption>${c.title}</figcaption></figure>`);
    }
  }
  // The Markdown rendered as HTML (tables as <table>); image links are left out (the SVGs are inline above).
  html.push('<h2>Tables</h2>', new MarkdownIt({ html: false }).render(md.filter((l) => !l.startsWith('![')).join('\n')), '</body></html>');
  writeFileSync(join(outDir, 'report.md'), `${md.join('\n')}\n`);
  writeFileSync(join(outDir, 'report.html'), html.join('\n'));
}

function noiseLines(report: BenchReport): string[] {
  const n = report.noise;
  if (!n) return [];
  const pc = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
  return [`Noise floor: ${n.pairs} pairs of cells deployed identical functions (two strategies that planned the same thing for a ` +
    `model and platform) and were measured separately; their measured cost differs by ${pc(n.costDiffMedian)} (median), ` +
    `${pc(n.costDiffMax)} (max), their p50 by ${pc(n.p50DiffMedian)} (median), ${pc(n.p50DiffMax)} (max). Ratios closer to 1 than ` +
    'that are not resolved by this machine.', ''];
}
