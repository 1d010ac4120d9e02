/**
 * The sweep report: OUT/sweep.json, OUT/report.md (tables + PNG Pareto charts) and OUT/report.html (the same
 * Markdown rendered by markdown-it, so tables are HTML tables, with inline SVG charts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOADED_RATIO } from '../core/index.js';
import MarkdownIt from 'markdown-it';
import type * as vl from 'vega-lite';
import { renderSvg, svgToPng } from '../core/index.js';
import { SLO_PERCENTILE, type MemoryTrack, type SweepReport, type SweepRow } from './sweep.js';
import { PROMISE_BOUNDS, measuredOk, predictionRatios, promiseCheck, type PromiseCheck } from './sweep-promises.js';

const fmt = (x: number | null | undefined, d = 3) => (x !== null && x !== undefined && Number.isFinite(x) ? x.toPrecision(d) : 'n/a');
const money = (x: number | null | undefined) => (x !== null && x !== undefined && Number.isFinite(x) ? `$${x < 1 ? x.toPrecision(3) : x.toFixed(2)}` : 'n/a');

export interface StepVerdict {
  model: string;
  platform: string;
  step: number;
  sloMs: number;
  moparUSD: number | null;
  best: { strategy: string; usd: number } | null;
  /** Best baseline ÷ mopar (> 1: mopar cheaper). */
  ratio: number | null;
  /**
   * mopar costs no more than the best baseline within the median difference of two copies of one deployment (or
   * no baseline meets the SLO): the verdict the report counts.
   */
  moparCheapest: boolean | null;
  /** The same within the largest such difference (one outlier pair sets it: a Cloud Run request crossing a granule). */
  withinMaxNoise: boolean | null;
  moparOverFloor: number | null;
  unsplitFeasible: boolean;
}

/** Per model × platform × SLO step: mopar against the cheapest other strategy that met the same SLO, measured. */
export function stepVerdicts(report: SweepReport): StepVerdict[] {
  const slack = 1 + (report.noise?.costDiffMedian ?? 0.01);
  const maxSlack = 1 + (report.noise?.costDiffMax ?? 0.01);
  const out: StepVerdict[] = [];
  const keys = [...new Set(report.sweep.map((r) => `${r.model}\u0000${r.platform}\u0000${r.step}`))];
  for (const k of keys) {
    const [model, platform, stepS] = k.split('\u0000') as [string, string, string];
    const step = Number(stepS);
    const cells = report.sweep.filter((r) => r.model === model && r.platform === platform && r.step === step);
    const mopar = cells.find((r) => r.strategy === 'mopar');
    const others = cells.filter((r) => r.strategy !== 'mopar' && r.feasible && measuredOk(r));
    const best = others.reduce<SweepRow | undefined>((a, r) => (!a || r.measured!.costPerMillionUSD < a.measured!.costPerMillionUSD ? r : a), undefined);
    const m = mopar && mopar.feasible && measuredOk(mopar) ? mopar.measured!.costPerMillionUSD : null;
    const b = best ? best.measured!.costPerMillionUSD : null;
    out.push({
      model, platform, step, sloMs: cells[0]!.sloMs, moparUSD: m,
      best: best ? { strategy: best.strategy, usd: b! } : null,
      ratio: m !== null && b !== null ? b / m : null,
      moparCheapest: m === null ? (best ? false : null) : b === null ? true : m <= b * slack,
      withinMaxNoise: m === null ? (best ? false : null) : b === null ? true : m <= b * maxSlack,
      moparOverFloor: m !== null ? m / cells[0]!.floorPerMillionUSD : null,
      unsplitFeasible: cells.some((r) => r.strategy === 'unsplit' && r.feasible),
    });
  }
  return out;
}

/** One Pareto panel per model: measured cost vs measured p50, a line per strategy over the SLO steps, the floor as a rule. */
export function paretoChart(report: SweepReport, platform: string): vl.TopLevelSpec {
  const rows = report.sweep.filter((r) => r.platform === platform && r.feasible && measuredOk(r));
  const models = [...new Set(report.sweep.filter((r) => r.platform === platform).map((r) => r.model))];
  const strategies = report.config.strategies;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Measured cost per 1M requests vs measured p50, ${platform} (one line per strategy over the SLO steps; dashed: physical floor)`,
    columns: 3,
    concat: models.map((model) => {
      const pts = rows.filter((r) => r.model === model).map((r) => ({ strategy: r.strategy, step: r.step, p50: r.measured!.p50Ms, cost: r.measured!.costPerMillionUSD }));
      const floor = report.sweep.find((r) => r.model === model && r.platform === platform)?.floorPerMillionUSD ?? NaN;
      return {
        title: model, width: 240, height: 160,
        // mopar drawn last and thicker: strategies that deployed the same thing share its points.
        layer: [false, true].map((top) => ({
          data: { values: pts.filter((x) => (x.strategy === 'mopar') === top) },
          mark: { type: 'line', point: { size: top ? 60 : 40, filled: !top }, strokeWidth: top ? 3 : 1.5, opacity: top ? 1 : 0.7 },
          encoding: {
            x: { field: 'p50', type: 'quantitative', title: 'measured p50 (ms)', scale: { type: 'log' } },
            y: { field: 'cost', type: 'quantitative', title: 'USD / 1M', scale: { type: 'log' } },
            color: { field: 'strategy', type: 'nominal', scale: { domain: strategies } },
            shape: { field: 'strategy', type: 'nominal', scale: { domain: strategies } },
            detail: { field: 'strategy' }, order: { field: 'p50', type: 'quantitative' },
            tooltip: [{ field: 'strategy' }, { field: 'step' }, { field: 'p50', format: '.4g' }, { field: 'cost', format: '.4g' }] },
        })).concat([
          { data: { values: Number.isFinite(floor) ? [{ floor }] : [] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'black' },
            encoding: { y: { field: 'floor', type: 'quantitative' } } } as never,
        ]),
      };
    }),
  } as vl.TopLevelSpec;
}

/**
 * Memory over one inference per model on one platform: live activations per layer (area: the peaks), the unsplit
 * function's resident total (all weights + activations) and mopar's (only the running function's weights +
 * activations), red rules where mopar's plan starts a new function.
 */
const SERIES = ['activations', 'unsplit: all weights + activations', 'mopar: own function\'s weights + activations'];

export function memoryChart(report: SweepReport, platform: string): vl.TopLevelSpec {
  const tracks = (report.memory ?? []).filter((t) => t.platform === platform);
  const series = (t: MemoryTrack) => t.activationMB.flatMap((act, layer) => [
    { layer, what: 'activations', mb: act },
    { layer, what: 'unsplit: all weights + activations', mb: t.weightsMB + act },
    ...(Number.isFinite(t.moparResidentMB[layer]) ? [{ layer, what: 'mopar: own function\'s weights + activations', mb: t.moparResidentMB[layer]! + act }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Live memory over one inference, ${platform} (MB per layer; red rules: mopar's cuts at the loosest SLO step)`,
    columns: 3,
    concat: tracks.map((t) => ({
      title: `${t.model}${t.step === null ? ' (no mopar plan)' : ''}`, width: 240, height: 140,
      layer: [
        { data: { values: series(t).filter((x) => x.what === 'activations') }, mark: { type: 'area', opacity: 0.35, color: '#f58518', interpolate: 'step-after' },
          encoding: { x: { field: 'layer', type: 'quantitative', title: 'layer' }, y: { field: 'mb', type: 'quantitative', title: 'MB' } } },
        { data: { values: series(t) }, mark: { type: 'line', interpolate: 'step-after' },
          encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'mb', type: 'quantitative' },
            color: { field: 'what', type: 'nominal', title: null, legend: { labelLimit: 320, orient: 'bottom', direction: 'vertical' }, scale: { domain: SERIES, range: ['#f58518', '#888888', '#4c78a8'] } },
            // Dashed unsplit: where mopar keeps one function the two lines coincide.
            strokeDash: { field: 'what', type: 'nominal', legend: null, scale: { domain: SERIES, range: [[1, 0], [6, 3], [1, 0]] } },
            tooltip: [{ field: 'what' }, { field: 'layer' }, { field: 'mb', format: '.4g' }] } },
        { data: { values: t.cuts.map((c) => ({ cut: c + 1 })) }, mark: { type: 'rule', color: 'red' },
          encoding: { x: { field: 'cut', type: 'quantitative' } } },
      ],
    })),
  } as vl.TopLevelSpec;
}

export function sweepMarkdown(report: SweepReport): string {
  const n = report.noise;
  const verdicts = stepVerdicts(report);
  const md: string[] = [
    '# mopar bench — SLO sweep', '',
    `Measured ${report.startedAt} → ${report.finishedAt} on ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGB} GB, ` +
    `Node ${report.machine.node}, onnxruntime ${report.machine.onnxruntime}; cgroup limits ${report.machine.cgroups ? 'enforced' : 'NOT enforced'}. ` +
    `1-minute load average ${fmt(report.loadAverage[0])} at start, ${fmt(report.loadAverage[1])} at end ` +
    `(${Math.max(...report.loadAverage) / report.machine.cpus > LOADED_RATIO ? `above ${LOADED_RATIO} per core: loaded, timings inflated` : `at most ${LOADED_RATIO} per core: not otherwise loaded`}${loadedCells(report)}). ` +
    `${report.config.steps} SLO steps per model × platform, from the fastest any strategy can reach to 2× the unsplit function's 1-vCPU latency; ` +
    `${report.config.warmRequests} warm requests per deployment, interleaved ${(report.config.warmBlock ?? 1) > 1 ? `in rotating turns of ${report.config.warmBlock} back-to-back requests` : 'round-robin'} across all deployments of a model × platform ` +
    `served at once; ${report.config.coldRequests} cold request(s) per deployment${coldLoadNote(report)}.`, '',
    n ? `Noise floor: ${n.pairs} control pair(s) (one deployment served twice, interleaved with the rest): measured cost differs by ` +
      `${pc(n.costDiffMedian)} (median), ${pc(n.costDiffMax)} (max); p50 by ${pc(n.p50DiffMedian)} (median), ${pc(n.p50DiffMax)} (max). ` +
      '"mopar cheapest" allows the median cost difference as slack (the targets also count the max).' : 'Noise floor: no control pair was measured.', '',
    '## Per SLO step: mopar vs the cheapest baseline that measurably met the same SLO', '',
    `A deployment meets its SLO when its measured p${SLO_PERCENTILE} does; a plan that only predicts it does is not counted as meeting it ` +
    `(${report.sweep.filter((r) => r.predictedSloMet).length} cells were predicted to meet their SLO, ${report.sweep.filter((r) => r.feasible).length} measurably did).`, '',
    '| model | platform | step | SLO ms | mopar $/1M | best baseline | its $/1M | baseline ÷ mopar | mopar ÷ floor | unsplit meets SLO | mopar cheapest |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const v of verdicts) {
    md.push(`| ${v.model} | ${v.platform} | ${v.step} | ${fmt(v.sloMs)} | ${money(v.moparUSD)} | ${v.best?.strategy ?? '—'} | ${money(v.best?.usd)} | ` +
      `${fmt(v.ratio)} | ${fmt(v.moparOverFloor)} | ${v.unsplitFeasible ? 'yes' : 'no'} | ${v.moparCheapest === null ? '—' : v.moparCheapest ? 'yes' : '**no**'} |`);
  }
  md.push('', '## Targets', '');
  for (const p of report.config.platforms) {
    const mine = verdicts.filter((v) => v.platform === p);
    const models = [...new Set(mine.map((v) => v.model))];
    const everyStep = models.filter((m) => mine.filter((v) => v.model === m).every((v) => v.moparCheapest !== false)).length;
    const everyStepMax = models.filter((m) => mine.filter((v) => v.model === m).every((v) => v.withinMaxNoise !== false)).length;
    const overFloor = mine.filter((v) => v.moparOverFloor !== null && v.step === report.config.steps - 1).map((v) => v.moparOverFloor!);
    const gm = overFloor.length ? Math.exp(overFloor.reduce((a, x) => a + Math.log(x), 0) / overFloor.length) : NaN;
    const unreachable = mine.filter((v) => !v.unsplitFeasible);
    md.push(`- **${p}**: mopar no dearer than the cheapest baseline at every step on ${everyStep} of ${models.length} models ` +
      `within the median noise, ${everyStepMax} within the max (target ≥ 11 of 12 on the full zoo); mopar ÷ floor at the loosest step ${fmt(gm)} (geomean; target ≤ 1.25); ` +
      `${unreachable.length} step(s) the unsplit function cannot meet, mopar met ${unreachable.filter((v) => v.moparUSD !== null).length}.`);
  }
  const all = predictionRatios(report.sweep);
  md.push('', `**Predictions**: measured ÷ predicted over ` +
    `${all.cells} measured cells, median p50 ${fmt(all.p50)}, median cost ${fmt(all.cost)}` +
    `${Number.isFinite(all.p50) ? (Math.abs(all.p50 - 1) <= 0.1 ? ' — within 10 %: the gap is closed on this run' : ` — ${all.p50 > 1 ? 'slower' : 'faster'} than predicted by ${pc(Math.abs(all.p50 - 1))}`) : ''}` +
    `${report.loadAverage[0] > report.machine.cpus ? ` (load ${fmt(report.loadAverage[0])} on ${report.machine.cpus} cores inflates every measured time)` : ''}. Per platform: ` +
    report.config.platforms.map((p) => { const r = predictionRatios(report.sweep.filter((x) => x.platform === p)); return `${p} p50 ${fmt(r.p50)}, cost ${fmt(r.cost)} (${r.cells} cells)`; }).join('; ') + '.');
  md.push('', ...promisesMarkdown(promiseCheck(report)));
  md.push('', '## Split bound (physical unsplit ÷ the floor of a split: ≥ 2 functions, each a request fee and a billing granule, ' +
    'the one holding the heaviest layer at a size that holds it; ∞ = unsplit does not fit) and measured unsplit ÷ mopar at the loosest SLO', '',
    'Share of the bound reached: measured ÷ bound, where the bound is above 1 (a split could pay at all).', '',
    '| model | platform | bound | measured | share of bound |', '|---|---|---|---|---|');
  for (const b of report.splitBound) {
    const share = b.boundRatio > 1 && Number.isFinite(b.boundRatio) && b.measuredRatio !== null ? pc(b.measuredRatio / b.boundRatio) : '—';
    md.push(`| ${b.model} | ${b.platform} | ${fmt(b.boundRatio)} | ${fmt(b.measuredRatio)} | ${share} |`);
  }
  md.push('', '## Every cell: predicted vs measured', '',
    '| model | platform | step | SLO ms | strategy | meets SLO (predicted / measured) | functions (sub-slices) | deployment | predicted p50 | measured p50 | measured ÷ predicted | predicted $/1M | measured $/1M | measured ÷ predicted $ | measured ÷ floor | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of report.sweep) {
    // A deployment that answered no request has no measured cost or latency to show.
    const m = r.measured && r.measured.requests - r.measured.errors > 0 ? r.measured : undefined;
    md.push(`| ${r.model} | ${r.platform} | ${r.step} | ${fmt(r.sloMs)} | ${r.strategy} | ${r.predictedSloMet ? 'yes' : 'no'} / ${r.measuredSloMet === null ? '—' : r.measuredSloMet ? 'yes' : '**no**'} | ${r.functions} (${r.subSlices}) | ` +
      `${r.deployment ?? '—'} | ${fmt(r.predicted.latencyMs)} | ${fmt(m?.p50Ms)}${m?.measuredAs === 'composed' ? ' ²' : ''} | ${m ? fmt(m.p50Ms / r.predicted.latencyMs) : 'n/a'} | ` +
      `${money(r.predicted.costPerMillionUSD)} | ${money(m?.costPerMillionUSD)}${m?.billedFrom ? ' ¹' : ''} | ${m ? fmt(m.costPerMillionUSD / r.predicted.costPerMillionUSD) : 'n/a'} | ${m ? fmt(m.costPerMillionUSD / r.floorPerMillionUSD) : 'n/a'} | ${(r.error ?? '').replace(/\|/g, '/')} |`);
  }
  const ratios = report.sweep.filter((r) => r.measured && measuredOk(r)).map((r) => r.measured!.p50Ms / r.predicted.latencyMs).sort((a, b) => a - b);
  if (ratios.length) md.push('', `Measured ÷ predicted p50 over the ${ratios.length} measured cells: median ${fmt(predictionRatios(report.sweep).p50)}, ` +
    `min ${fmt(ratios[0])}, max ${fmt(ratios[ratios.length - 1])}.`);
  md.push('', '¹ Parallel sub-slices: billed from a second interleaved pass that runs one function at a time (each alone on its quota, ' +
    'as on a platform); latency from the parallel pass where their vCPU fit this machine\'s cores.', '',
  '² Composed: the parallel functions need more vCPU than this machine\'s cores, so each request of the one-at-a-time pass is ' +
    'composed along the DAG (its time outside the calls once, plus the longest path through its calls).', '');
  return md.join('\n');
}

/** The planner's promises, each with its bound and whether this run kept it (sweep-promises.ts). */
function promisesMarkdown(c: PromiseCheck): string[] {
  const yes = (ok: boolean) => (ok ? 'kept' : '**not kept**');
  const b = PROMISE_BOUNDS;
  return [
    '## Promises kept?', '',
    '| promise | bound | this run | |', '|---|---|---|---|',
    `| measured ÷ predicted, median over all cells (p50 / cost) | within ${pc(b.allCells)} | ${fmt(c.all.p50)} / ${fmt(c.all.cost)} (${c.all.cells} cells) | ${yes(c.kept.ratios)} |`,
    ...c.classes.map((k) => `| … ${k.label} | within ${pc(b.perClass)} | ${fmt(k.p50)} / ${fmt(k.cost)} (${k.cells} cells) | |`),
    ...(Number.isFinite(c.all.p50Here) ? [`| measured p50 ÷ the plan with its hand-offs priced as this runtime performs them (shared memory), median: all; ${c.classes.map((k) => k.label).join('; ')} | — | ` +
      `${[c.all, ...c.classes].map((k) => fmt(k.p50Here)).join('; ')} | |`] : []),
    ...c.platforms.map((p, i) => `| ${p.platform}: of the ${p.someMet} steps (of ${p.steps}) where some deployment measurably met the SLO, mopar's met it / and was the cheapest within ${pc(b.cheapestWithin)} | ≥ ${pc(b.steps)} | ` +
      `${p.moparMet} / ${p.moparCheapest} (${p.someMet ? pc(p.moparCheapest / p.someMet) : 'n/a'}) | ${i === 0 ? yes(c.kept.steps) : ''} |`),
    `| mopar cells measured below their floor | none | ${c.belowFloor.length} of ${c.moparMeasured}${c.belowFloor.length ? ` (lowest ${fmt(Math.min(...c.belowFloor.map((x) => x.overFloor)))}× the floor)` : ''} | ${yes(c.kept.floor)} |`,
    `| cells measured at a load of at most ${LOADED_RATIO} per core | ≥ ${pc(b.quietCells)} | ${c.load.quiet} of ${c.load.cells} | ${yes(c.kept.load)} |`,
  ];
}

const pc = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;

export async function writeSweepReport(outDir: string, report: SweepReport): Promise<void> {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  writeFileSync(join(outDir, 'sweep.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = sweepMarkdown(report);
  const charts: string[] = [];
  const html: string[] = [];
  for (const p of report.config.platforms) {
    const svg = await renderSvg(paretoChart(report, p));
    writeFileSync(join(outDir, 'charts', `pareto-${p}.png`), await svgToPng(svg));
    charts.push(`![Pareto, ${p}](charts/pareto-${p}.png)`, '');
    html.push(`<figure>${svg}<figcaption>Pareto, ${p}</figcaption></figure>`);
    if ((report.memory ?? []).some((t) => t.platform === p)) {
      const mem = await renderSvg(memoryChart(report, p));
      writeFileSync(join(outDir, 'charts', `memory-${p}.png`), await svgToPng(mem));
      charts.push(`![Memory timeline, ${p}](charts/memory-${p}.png)`, '');
      html.push(`<figure>${mem}<figcaption>Memory timeline, ${p}</figcaption></figure>`);
    }
  }
  const [head, ...rest] = md.split('\n## ');
  const full = [head, '## Pareto charts and memory timelines', '', ...charts, ...rest.map((s) => `## ${s}`)].join('\n');
  writeFileSync(join(outDir, 'report.md'), `${full}\n`);
  const body = new MarkdownIt({ html: false }).render(md);
  writeFileSync(join(outDir, 'report.html'), [
    '<!doctype html><html><head><meta charset="utf-8"><title>mopar bench — SLO sweep</title>',
    '<style>body{font-family:sans-serif;max-width:1400px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>',
    '</head><body>', body, '<h2>Pareto charts and memory timelines</h2>', ...html, '</body></html>',
  ].join('\n'));
}

/** Cold requests start every function of a deployment at once: their load is kept apart from the cells' (coldLoad). */
function coldLoadNote(report: SweepReport): string {
  const cold = report.sweep.flatMap((r) => (r.measured && r.coldLoad ? [r.coldLoad.loadAvg] : []));
  return cold.length ? ` (their load is kept apart from the cells': the highest 1-minute average while they ran was ${fmt(Math.max(...cold))})` : '';
}

/** ', N of M measured cells loaded' from the cells' own load readings (none recorded: nothing said). */
function loadedCells(report: SweepReport): string {
  const withLoad = report.sweep.filter((r) => r.measured && r.load);
  if (!withLoad.length) return '';
  return `; ${withLoad.filter((r) => r.load!.loaded).length} of ${withLoad.length} measured cells were measured loaded`;
}
