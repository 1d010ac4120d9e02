/** The workload bench's report: report.json, report.md, report.html (markdown-it tables + inline SVG charts), charts/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import type * as vl from 'vega-lite';
import { renderBatchProfile } from '../profile/index.js';
import { renderSvg, svgToPng } from '../core/index.js';
import type { WorkloadReport, WorkloadRow } from './workload.js';

const usdPerM = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : (x * 1e6).toFixed(x * 1e6 < 10 ? 3 : 1));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** Per platform and rate: each measured strategy's cost relative to unbatched-unsplit (above 1: cheaper). */
export function workloadHeadline(report: WorkloadReport): string[] {
  const out: string[] = [];
  for (const platform of [...new Set(report.rows.map((r) => r.platform))]) {
    for (const scale of [...new Set(report.rows.map((r) => r.rateScale))]) {
      const rows = report.rows.filter((r) => r.platform === platform && r.rateScale === scale);
      const base = rows.find((r) => r.strategy === 'unbatched-unsplit' && r.measured);
      const h = rows.find((r) => r.strategy === 'harmony' && r.measured);
      const per = rows.find((r) => r.strategy === 'per-app' && r.measured);
      const conc = rows.find((r) => r.strategy === 'concurrency' && r.measured);
      if (!base?.costPerRequestUSD || !h?.costPerRequestUSD) continue;
      out.push(`${platform}, ${num(base.totalRatePerSec, 1)} req/s in all: HarmonyBatch grouping ${usdPerM(h.costPerRequestUSD)} vs ` +
        `${usdPerM(base.costPerRequestUSD)} USD per million requests unbatched-unsplit (${num(base.costPerRequestUSD / h.costPerRequestUSD)}× cheaper, ` +
        `${num(h.costToFloor)}× the floor), lowest SLO attainment ${pct(h.sloAttainment)} vs ${pct(base.sloAttainment)}` +
        (per?.costPerRequestUSD ? `; per-application batching ${usdPerM(per.costPerRequestUSD)} (${pct(per.sloAttainment)})` : '') +
        (conc?.costPerRequestUSD ? `; the platform's own concurrency (${conc.concurrency ?? '?'} per instance, measured) ${usdPerM(conc.costPerRequestUSD)} (${pct(conc.sloAttainment)})` : '') + '.');
    }
  }
  return out;
}

function table(rows: WorkloadRow[]): string {
  const lines = [
    '| rate (req/s) | strategy | groups (apps: B, T ms, warm minimum) | requests | cost $/1M req | $/1M SLO-met req | predicted $/1M | × floor | vs unbatched | mean batch | instance starts | lowest SLO attainment | per app p50 / p99 ms (attainment) |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    // A measured row that answered no request has no cost per request to show (older reports stored one).
    const r = row.measured && !row.answered ? { ...row, costPerRequestUSD: undefined, costPerSloMetRequestUSD: undefined, costToFloor: undefined } : row;
    const base = rows.find((x) => x.rateScale === r.rateScale && x.strategy === 'unbatched-unsplit');
    const vs = base?.costPerRequestUSD && r.costPerRequestUSD ? `÷${num(base.costPerRequestUSD / r.costPerRequestUSD)}` : '–';
    const groups = r.groups.map((g) => `${g.apps.join('+')}: ${g.maxBatch}, ${num(g.timeoutMs, 0)}${g.minInstances ? `, warm ${g.minInstances}` : ''}`).join('; ');
    const apps = r.apps?.map((a) => `${a.app} ${num(a.p50Ms, 0)} / ${num(a.p99Ms, 0)} (${pct(a.sloAttainment)})`).join('; ') ?? '';
    const what = r.measured ? (r.concurrency ? ` (${r.concurrency} per instance)` : '') : (r.feasible ? ' (predicted only)' : ' (infeasible)');
    lines.push(`| ${num(r.totalRatePerSec, 1)} | ${r.strategy}${what} | ${groups || '–'} | ${r.requests ?? '–'} | ${usdPerM(r.costPerRequestUSD)} | ${usdPerM(r.costPerSloMetRequestUSD)} | ` +
      `${usdPerM(r.predictedCostPerRequestUSD)} | ${num(r.costToFloor)} | ${vs} | ${num(r.meanBatch)} | ${r.instanceStarts ?? '–'} | ${pct(r.sloAttainment)} | ${apps}${r.error ? ` — ${r.error}` : ''} |`);
  }
  return lines.join('\n');
}

export function workloadCharts(report: WorkloadReport): Array<{ id: string; title: string; spec: vl.TopLevelSpec }> {
  const measured = report.rows.filter((r) => r.measured && r.costPerRequestUSD !== undefined && Number.isFinite(r.costPerRequestUSD));
  return [
    {
      id: 'cost-vs-rate', title: 'Measured cost per million requests vs total arrival rate, per strategy',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Cost per million requests (measured) vs total arrival rate',
        data: { values: measured.map((r) => ({ platform: r.platform, strategy: r.strategy, rate: r.totalRatePerSec, usd: r.costPerRequestUSD! * 1e6 })) },
        facet: { field: 'platform', type: 'nominal', title: null }, resolve: { scale: { y: 'independent' } },
        spec: {
          width: 260, height: 180, mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'rate', type: 'quantitative', title: 'req/s (all applications)', scale: { type: 'log' } },
            y: { field: 'usd', type: 'quantitative', title: 'USD per 1M requests', scale: { zero: true } },
            color: { field: 'strategy', type: 'nominal' },
          },
        },
      } as vl.TopLevelSpec,
    },
    {
      id: 'slo-attainment', title: 'SLO attainment per application and strategy',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Fraction of requests answered within the SLO',
        data: { values: measured.flatMap((r) => (r.apps ?? []).map((a) => ({ cell: `${r.platform} ${r.totalRatePerSec.toFixed(1)} req/s`, strategy: r.strategy, app: `${a.app} (${a.sloMs} ms)`, attainment: a.sloAttainment }))) },
        facet: { field: 'cell', type: 'nominal', title: null }, columns: 2,
        spec: {
          width: 220, height: 120, mark: 'bar',
          encoding: {
            x: { field: 'strategy', type: 'nominal', title: null }, xOffset: { field: 'app' },
            y: { field: 'attainment', type: 'quantitative', scale: { domain: [0, 1] }, title: 'attainment' },
            color: { field: 'app', type: 'nominal' },
          },
        },
      } as vl.TopLevelSpec,
    },
  ];
}

export function workloadMarkdown(report: WorkloadReport): string[] {
  const c = report.config;
  const md = [
    '# mopar workload bench: multi-SLO request batching', '',
    `Measured ${report.startedAt} → ${report.finishedAt} on ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGB} GB, ` +
    `Node ${report.machine.node}, onnxruntime ${report.machine.onnxruntime}; cgroup limits ${report.machine.cgroups ? 'enforced' : 'NOT enforced'}; ` +
    `highest load average ${report.load.loadAvg.toFixed(1)} on ${report.load.cores} cores${report.load.loaded ? ' (LOADED: timings inflated)' : ''}.`, '',
    `Model ${c.model}${c.tiny ? ' (tiny)' : ''} with a dynamic batch dim; batch sizes ${c.batchSizes.join(', ')}; per cell ≤ ${c.maxRequests} requests ` +
    `arriving over ${(c.durationMs / 1000).toFixed(0)} s (seed ${c.seed}); rate scales ${c.rateScales.join(', ')} of:`, '',
    '| application | SLO (ms) | rate (req/s) | arrivals |', '|---|---:|---:|---|',
    ...c.apps.map((a) => `| ${a.name} | ${a.sloMs} | ${a.ratePerSec} | ${a.arrivals ? JSON.stringify(a.arrivals) : 'poisson'} |`), '',
    '## Headline', '', ...workloadHeadline(report).flatMap((l) => [`- ${l}`]), '',
  ];
  for (const p of [...new Set(report.rows.map((r) => r.platform))]) md.push(`## ${p}`, '', table(report.rows.filter((r) => r.platform === p)), '');
  if (report.batchProfile) {
    md.push('## Per-item time vs batch size (the model\'s batch profile)', '', 'Measured while profiling (its load is in the profile); the planner fits latency(b) per thread count from it.', '',
      '```', renderBatchProfile(report.batchProfile), '```', '');
  }
  md.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return md;
}

export async function writeWorkloadReport(outDir: string, report: WorkloadReport): Promise<void> {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = workloadMarkdown(report);
  const html = ['<!doctype html><html><head><meta charset="utf-8"><title>mopar workload bench</title>',
    '<style>body{font-family:sans-serif;max-width:1300px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>',
    '</head><body>', new MarkdownIt({ html: false }).render(md.join('\n'))];
  md.push('## Charts', '');
  for (const chart of workloadCharts(report)) {
    const svg = await renderSvg(chart.spec);
    writeFileSync(join(outDir, 'charts', `${chart.id}.png`), await svgToPng(svg));
    md.push(`![${chart.title}](charts/${chart.id}.png)`, '');
    html.push(`<figure>${svg}<figcaption>${chart.title}</figcaption></figure>`);
  }
  html.push('</body></html>');
  writeFileSync(join(outDir, 'report.md'), `${md.join('\n')}\n`);
  writeFileSync(join(outDir, 'report.html'), html.join('\n'));
}
