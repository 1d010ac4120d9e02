/**
 * The README's "Results so far" section, rendered from the committed reports under docs/results/ so that every
 * number a reader sees there comes from data (issue 27). Prose that explains stays template text; figures, counts,
 * the machine and whether it was loaded are read from the reports. `npm run results -- --check` compares this
 * rendering with the README between the markers; `npm run results` rewrites that part.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepReport } from './sweep.js';
import type { WorkloadReport, WorkloadRow } from './workload.js';
import type { BenchReport } from './types.js';
import type { FleetBenchReport } from './fleet.js';
import type { OverheadReport } from './results-serving.js';

export const RESULTS_BEGIN = '<!-- results:begin -->';
export const RESULTS_END = '<!-- results:end -->';

/* eslint-disable @typescript-eslint/no-explicit-any -- bench scripts outside src/ write these reports; only the fields read here matter */
export interface ResultsData {
  sweepFull: SweepReport;
  /** The full sweep before the prediction work (2026-12-01), the "before" of the promises table. */
  sweepBefore: SweepReport;
  dlrm: SweepReport;
  workload: WorkloadReport;
  workloadLongs: Array<{ report: WorkloadReport; path: string }>;
  full: BenchReport;
  sparse: any;
  /** A longer sparse run (≥ 500 arrivals), when committed. */
  sparseLong?: any;
  coldStart: any;
  partitionMatrix: any[];
  planTime: any[];
  batchTimings: any;
  realExporters: any;
  splitBoundTxt: string;
  overhead: OverheadReport;
  fleets: Array<{ report: FleetBenchReport; path: string }>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function loadResultsData(root: string): ResultsData {
  const j = (p: string) => JSON.parse(readFileSync(join(root, 'docs/results', p), 'utf8'));
  return {
    sweepFull: j('sweep-full/sweep.json'), sweepBefore: j('sweep-full-2026-12-01/sweep.json'), dlrm: j('sweep-dlrm-criteo/sweep.json'), workload: j('workload-quick/report.json'), workloadLongs: ['workload-2000', 'workload-2000-lambda'].map((x) => ({ report: j(`${x}/report.json`), path: `docs/results/${x}/report.md` })),
    full: j('full/report.json'), sparse: j('sparse/report.json'), sparseLong: existsSync(join(root, 'docs/results/sparse-500/report.json')) ? j('sparse-500/report.json') : undefined, coldStart: j('cold-start/cold-start.json'),
    partitionMatrix: j('partition-matrix.json'), planTime: j('plan-time.json'),
    batchTimings: j('batch-timings.json'), realExporters: j('real-exporters.json'),
    splitBoundTxt: readFileSync(join(root, 'docs/results/split-bound.txt'), 'utf8'),
    overhead: j('overhead/overhead.json'),
    fleets: ['fleet', 'fleet-8', 'fleet-classifier', 'fleet-eager', 'fleet-8-eager', 'fleet-prefix'].map((d) => ({ report: j(`${d}/report.json`), path: `docs/results/${d}/report.md` })),
  };
}

import { f, pc, range, rangePc, names, mn, pn, sec, loadPhrase, MODEL_NAMES } from './results-format.js';
import { sweepSection, dlrmSection } from './results-sweep.js';
import { fleetSection, overheadSection } from './results-serving.js';

function fullSection(d: ResultsData): string[] {
  const s = Object.values(d.full.summary);
  return [
    `The first full bench (\`mopar bench -o OUT\`: ${d.full.config.models.length} models × ${d.full.config.platforms.length} platforms × ${d.full.config.strategies.length} strategies at one SLO, ${d.full.rows.length} cells, before the ` +
    `runtime served with onnxruntime's arena) found mopar on par with the unsplit function (cost ÷${range(s.map((x) => x.costRatioGeomean))}): ` +
    '[docs/results/full/report.md](docs/results/full/report.md); the sweep above supersedes it.',
  ];
}

/** A run long enough for a 99 % figure (≥ 2,000 requests per cell), one platform. */
function workloadLongSection(w: WorkloadReport, path: string, first: boolean): string {
  const c = w.config;
  const rows = w.rows.filter((r) => r.measured && r.costPerRequestUSD !== undefined);
  const get = (s: number, st: string) => rows.find((r) => r.rateScale === s && r.strategy === st);
  const p = c.platforms[0]!;
  const cells = c.rateScales.map((s) => ({ h: get(s, 'harmony')!, u: get(s, 'unbatched-unsplit')!, k: get(s, 'concurrency'), o: get(s, 'one-group') }));
  const perMet = (r: WorkloadRow) => r.costPerSloMetRequestUSD ?? r.costPerRequestUSD!;
  const least = Math.min(...rows.map((r) => r.requests ?? 0));
  const conc = cells.filter((x) => x.k);
  const one = cells.filter((x) => x.o);
  return `${first ? 'A longer run of the same workload' : 'The same'} on ${pn(p)} (\`--platforms ${p} --duration ${f(c.durationMs / 1000, 0)} --max-requests ${c.maxRequests}\`: at least ${least} requests per cell, ` +
    `instance starts and any warm minimum billed, ${loadPhrase([w.load.loadAvg], w.load.cores)}): HarmonyBatch's lowest per-application attainment was ` +
    `${names(cells.map((x) => `${pc(x.h.sloAttainment!, 1)} at ${f(x.h.totalRatePerSec, 1)} req/s`))}, at ${names(cells.map((x) => `${f(perMet(x.u) / perMet(x.h))}×`))} less per SLO-met request ` +
    `than one request per invocation (${names(cells.map((x) => `${f(perMet(x.h) * 1e6, 3)} vs ${f(perMet(x.u) * 1e6, 3)} $/1M`))})` +
    (one.length ? `; one group for all applications met ${names(one.map((x) => `${pc(x.o!.sloAttainment!, 1)} at ${f(perMet(x.o!) * 1e6, 3)} $/1M SLO-met`))}` : '') +
    (conc.length ? `; the platform's own request concurrency (${conc[0]!.k!.concurrency} per instance, measured: an instance billed its busy time) met ` +
      `${names(conc.map((x) => `${pc(x.k!.sloAttainment!, 1)} at ${f(x.k!.totalRatePerSec, 1)} req/s`))}` +
      (conc[0]!.k!.scaleAtUtilisation !== undefined ? `, scaled out at a ${pc(conc[0]!.k!.scaleAtUtilisation)} busy share as Cloud Run's autoscaler targets CPU ` +
        `(from one instance per service; ${names(conc.map((x) => `${x.k!.instanceStarts ?? 0} started during the ${f((x.k!.requests ?? 0) / x.k!.totalRatePerSec, 0)} s of load at ${f(x.k!.totalRatePerSec, 1)} req/s`))})${conc.some((x) => x.k!.sloAttainment! < 0.99) ? ', where the planner\'s processor-sharing model assumes its instance count from the start' : ''}`
        : ' — this runtime scales a concurrent instance out only once it holds that many requests, where Cloud Run also scales at 60 % CPU, so that baseline is pessimistic here') : '') +
    `: [${path}](${path}).`;
}

function workloadSection(d: ResultsData): string[] {
  const w = d.workload;
  const c = w.config;
  const rows = w.rows.filter((r) => r.measured && r.costPerRequestUSD !== undefined);
  const get = (p: string, s: number, st: string) => rows.find((r) => r.platform === p && r.rateScale === s && r.strategy === st);
  const perPlatform = (p: string) => c.rateScales.map((s) => get(p, s, 'unbatched-unsplit')!.costPerRequestUSD! / get(p, s, 'harmony')!.costPerRequestUSD!);
  const harmony = rows.filter((r) => r.strategy === 'harmony');
  const unb = rows.filter((r) => r.strategy === 'unbatched-unsplit');
  const noDearer = c.platforms.every((p) => c.rateScales.every((s) => get(p, s, 'harmony')!.costPerRequestUSD! <= get(p, s, 'per-app')!.costPerRequestUSD!));
  const appAtt = harmony.flatMap((r) => (r.apps ?? []).map((a) => a.sloAttainment));
  const atLeast80 = appAtt.filter((a) => a >= 0.8).length;
  const cr = c.platforms[0]!;
  const lo = Math.min(...c.rateScales);
  const rates = [...new Set(rows.map((r) => r.totalRatePerSec))];
  const worstH = harmony.reduce((a, r) => (r.sloAttainment! < a.sloAttainment! ? r : a));
  const worstPer = get(worstH.platform, worstH.rateScale, 'per-app');
  return [
    'Multi-SLO request batching (HarmonyBatch grouping, [docs/batching.md](docs/batching.md)), measured by ' +
    '`node bin/mopar.js bench --workload --quick -o docs/results/workload-quick` ' +
    `(${c.apps.length} applications, SLOs ${range(c.apps.map((a) => a.sloMs / 1000), 1)} s, ` +
    `Poisson and bursty, ${MODEL_NAMES[c.model] ?? c.model} on ${names(c.platforms.map(pn))}, ${f(c.durationMs / 1000, 0)} s of seeded arrivals per cell at ${names(rates.map((x) => f(x, 1)))} req/s in ` +
    `all) ${loadPhrase([w.load.loadAvg], w.load.cores)}: HarmonyBatch's groups cost ${range(perPlatform(cr))}× less per request than one request per ` +
    `invocation of the unsplit function on ${pn(cr)} (${f(get(cr, lo, 'harmony')!.costPerRequestUSD! * 1e6)} vs ${f(get(cr, lo, 'unbatched-unsplit')!.costPerRequestUSD! * 1e6)} $/1M at ` +
    `${f(get(cr, lo, 'harmony')!.totalRatePerSec, 1)} req/s: batches share its billing steps) and ` +
    c.platforms.slice(1).map((p) => `${range(perPlatform(p))}× less on ${pn(p)}`).join(', ') +
    `, and ${noDearer ? 'no more than' : 'not always less than'} per-application batching at ${rates.length === 2 ? 'both rates' : 'every rate'}. They do not yet ` +
    `meet every SLO: the lowest per-application attainment was ${rangePc(harmony.map((r) => r.sloAttainment!))} (${atLeast80} of ${appAtt.length} application cells at 80 % or more) against ` +
    `${rangePc(unb.map((r) => r.sloAttainment!), 1)} unbatched, where the issue asks 99 %; cost is ${range(harmony.map((r) => r.costToFloor!), 1)}× the compute floor. ` +
    'Scale-out and pre-warm starts run at a low CPU weight until ready (cgroup `cpu.shares`), as on a platform where a new instance starts on its own ' +
    `hardware, instead of taking the serving instances' CPU on this ${w.machine.cpus}-core machine; the lowest attainment was ` +
    `${pc(worstH.sloAttainment!, 1)} on ${pn(worstH.platform)} at ${f(worstH.totalRatePerSec, 0)} req/s` +
    `${worstPer ? ` (per-application batching ${pc(worstPer.sloAttainment!, 1)})` : ''}; one run each shows the direction, not the size: ` +
    '[docs/results/workload-quick/report.md](docs/results/workload-quick/report.md) (an earlier run: before the planner ' +
    'modelled instances as a resource and the runtime held warm minimums and ordered batched requests by deadline).',
    d.workloadLongs.map((x, i) => workloadLongSection(x.report, x.path, i === 0)).join(' '),
    batchTimingsSentence(d),
  ];
}

function batchTimingsSentence(d: ResultsData): string {
  type M = { model: string; class: string; target?: number; met?: boolean; cloudRun: Array<{ points: Array<{ vsUnbatched: number }> }> };
  const ms = (d.batchTimings.models as M[]).filter((m) => m.target !== undefined);
  const best = (m: M) => Math.max(...m.cloudRun[0]!.points.map((p) => p.vsUnbatched));
  const groups = [...new Set(ms.map((m) => `${m.target}\u0000${m.met}`))].map((k) => ms.filter((m) => `${m.target}\u0000${m.met}` === k))
    .sort((a, b) => b[0]!.target! - a[0]!.target! || Number(b[0]!.met) - Number(a[0]!.met));
  const parts = groups.map((g) => `${range(g.map(best), 1)}×${groups.indexOf(g) === 0 ? ' cheaper than one request per invocation' : ''} for ` +
    `${names(g.map((m) => mn(m.model)))}${g[0]!.met ? '' : ` (${g[0]!.target}× target missed)`}${g[0]!.met && groups.findIndex((x) => x[0]!.target === g[0]!.target) === groups.indexOf(g) ? ` (${g[0]!.target}× target met)` : ''}`);
  return `On measured per-item times alone (no queueing), batching passes Cloud Run's ${d.batchTimings.cloudRun.granularityMs} ms rounding on to the bill: ` +
    `${parts.join(', ')}: [docs/results/batch-timings.md](docs/results/batch-timings.md).`;
}

type ColdRow = { model: string; strategy: string; functions: number; weightsMB: number; predicted: { coldMs: number; costPerMillionUSD: number };
  measured: { coldAfterIdleMedianMs: number; costPerMillionUSD: number }; phases: Array<{ fetchMs: number; fetchedMB: number }>;
  /** Issue 29's composed figure (absent in reports from before it). */
  composed?: { coldMs: number } };

function coldSection(d: ResultsData): string[] {
  const c = d.coldStart;
  const rows = c.rows as ColdRow[];
  const get = (m: string, s: string) => rows.find((r) => r.model === m && r.strategy === s)!;
  const models = [...new Set(rows.map((r) => r.model))];
  if (rows.some((r) => r.composed)) return composedColdSection(d, rows, models);
  const lines = models.map((m) => {
    const un = get(m, 'unsplit');
    const cs = get(m, 'mopar --cold-slo-ms');
    const meas = un.measured.coldAfterIdleMedianMs / cs.measured.coldAfterIdleMedianMs;
    const pred = un.predicted.coldMs / cs.predicted.coldMs;
    return meas > 1
      ? `${mn(m)} in ${cs.functions} functions answers its first request after idle in ${sec(cs.measured.coldAfterIdleMedianMs)} s vs ${sec(un.measured.coldAfterIdleMedianMs)} s unsplit ` +
        `(${f(meas)}× lower, predicted ${f(pred)}×) at ${f(cs.measured.costPerMillionUSD / un.measured.costPerMillionUSD)}× the warm cost`
      : `${mn(m)} in ${cs.functions} functions is slower (${sec(cs.measured.coldAfterIdleMedianMs)} vs ${sec(un.measured.coldAfterIdleMedianMs)} s, predicted ${f(pred)}× faster)`;
  });
  return [
    'Cold starts (weights fetched at cold start from a local S3-compatible server shaped to the platform\'s object ' +
    'store, every function of a chain started when the request enters; [docs/cold-starts.md](docs/cold-starts.md)), ' +
    `measured ${loadPhrase([c.loadAverage.before, c.loadAverage.after, c.loadAverage.highest], c.cores)} by \`node --import tsx bench/cold-start.ts --models ${models.join(',')} --platform ` +
    `${c.platform} --repeats ${c.config.repeats} --keep-warm-s ${c.config.keepWarmMs / 1000}\`: planned under \`--cold-slo-ms\`, ${names(lines)}. ` +
    'The 2× target is missed here, and the phase table ' +
    `says why: on this ${c.cores}-core machine all weight fetches share ${sharedFetch(rows, models[0]!)}, while on a platform each function fetches over its own network: ` +
    `[docs/results/cold-start/cold-start.md](docs/results/cold-start/cold-start.md). On sparse traffic ${sparseSentence(d.sparse)}${d.sparseLong ? ` A longer sparse run ${sparseSentence(d.sparseLong, 'docs/results/sparse-500/report.md')}` : ''}`,
  ];
}

/** Fetch bandwidth from the phase table: one model's unsplit fetch alone vs its split's parallel fetches. */
function fetchRates(rows: ColdRow[], model: string): { alone: number; parallel: number; streams: number; text: string } {
  const alone = rows.find((r) => r.model === model && r.strategy === 'unsplit')!.phases[0]!;
  const split = rows.find((r) => r.model === model && r.strategy === 'mopar --cold-slo-ms')!;
  const parallel = split.phases.filter((p) => p.fetchedMB > 0);
  const mbps = split.phases.reduce((a, p) => a + p.fetchedMB, 0) / (Math.max(...parallel.map((p) => p.fetchMs)) / 1000);
  const one = alone.fetchedMB / (alone.fetchMs / 1000);
  return { alone: one, parallel: mbps, streams: parallel.length,
    text: `${mn(model)}'s ${f(alone.fetchedMB, 0)} MB in ${f(alone.fetchMs / 1000, 1)} s alone (${f(one, 0)} MB/s), ${f(mbps, 0)} MB/s in all as ${parallel.length} parallel fetches` };
}

/** The old report's claim, kept for it: every stream together no faster than one alone. */
function sharedFetch(rows: ColdRow[], model: string): string {
  const r = fetchRates(rows, model);
  return `~${f(r.alone, 0)} MB/s whatever the number of streams (${r.text})`;
}

/**
 * The cold sentence of a report with composed figures (issue 29): composed per model (each function's cold start
 * alone, laid out along the DAG), the validation on a 2-function chain, and the concurrent figures beside them.
 */
function composedColdSection(d: ResultsData, rows: ColdRow[], models: string[]): string[] {
  const c = d.coldStart;
  const get = (m: string, s: string) => rows.find((r) => r.model === m && r.strategy === s);
  const per = models.map((m) => ({ m, un: get(m, 'unsplit')!, cs: get(m, 'mopar --cold-slo-ms')! }))
    .filter((x) => x.un?.composed && x.cs?.composed)
    .map((x) => ({ ...x, ratio: x.un.composed!.coldMs / x.cs.composed!.coldMs, cost: x.cs.measured.costPerMillionUSD / x.un.measured.costPerMillionUSD }));
  const composed = per.map(({ m, un, cs, ratio, cost }) => `${mn(m)} (${f(un.weightsMB, 0)} MB) in ${cs.functions} function${cs.functions === 1 ? '' : 's'} ${sec(cs.composed!.coldMs)} s vs ${sec(un.composed!.coldMs)} s unsplit ` +
    `(${f(ratio)}× lower, predicted ${f(un.predicted.coldMs / cs.predicted.coldMs)}×) at ${f(cost)}× the warm cost`);
  const served = per.map(({ m, un, cs }) => `${mn(m)} ${f(un.measured.coldAfterIdleMedianMs / cs.measured.coldAfterIdleMedianMs)}×`);
  const met = per.filter((x) => x.ratio >= 2 && x.cost <= 1.1 && x.un.weightsMB >= 300);
  const v = c.validation;
  const cmd = `node --import tsx bench/cold-start.ts --models ${models.join(',')} --platform ${c.platform} --repeats ${c.config.repeats} --keep-warm-s ${c.config.keepWarmMs / 1000}${c.config.warmRequests ? ` --warm ${c.config.warmRequests}` : ''} ` +
    `--slo-factor ${c.config.sloFactor}${v ? ` --validate-model ${v.model} --validate-mbps ${v.bandwidthMBps}` : ''}`;
  return [
    'Cold starts (weights fetched at cold start from a local S3-compatible server shaped to the platform\'s object store, every function ' +
    'of a chain started when the request enters; [docs/cold-starts.md](docs/cold-starts.md)), ' +
    `measured ${loadPhrase([c.loadAverage.before, c.loadAverage.after, c.loadAverage.highest], c.cores)} by \`${cmd}\`, planned under \`--cold-slo-ms\` ` +
    `at a warm SLO of ${c.config.sloFactor}× the unsplit function's. On this ${c.cores}-core machine the fetches share one loopback path and two cores (${fetchRates(rows, models[0]!).text}, where a platform gives each function its own ${c.shaping.bandwidthMBps} MB/s), ` +
    `so the first request after idle is composed: each function cold-started alone at the platform's ${c.shaping.bandwidthMBps} MB/s per stream, its warm call ` +
    `measured one function at a time, laid out along the DAG: ${names(composed)}. ` +
    `That is ≥ 2× at ≤ 1.10× the warm cost for ${met.length} of ${per.length} models${met.length ? ` (${names(met.map((x) => mn(x.m)))})` : ''}. ` +
    (v ? `The composition, checked where this machine can serve it: ${mn(v.model)} cut in ${v.functions} at ${v.bandwidthMBps} MB/s per stream, served cold ` +
      `${sec(v.servedColdMs)} s vs composed ${sec(v.composedColdMs)} s (served ÷ composed ${f(v.ratio)}). ` : '') +
    `Served concurrently here the same plans are ${names(served)} faster than unsplit: ` +
    `[docs/results/cold-start/cold-start.md](docs/results/cold-start/cold-start.md). On sparse traffic ${sparseSentence(d.sparse)}${d.sparseLong ? ` A longer sparse run ${sparseSentence(d.sparseLong, 'docs/results/sparse-500/report.md')}` : ''}`,
  ];
}

/**
 * The sparse-traffic sentences. A report from before issue 29 (no `deadlinesMetOfWarmFeasible`, all five rows)
 * renders as it always did; a newer one adds the share of warm-feasible deadlines met, the idle and start parts of
 * the cost and its own command, and may hold only the rows a `--rows` run chose (the histogram row is required).
 */
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- bench/sparse.ts writes this report */
export function sparseSentence(s: any, path = 'docs/results/sparse/report.md'): string {
  type SRow = { strategy: string; functions: number; keepAlive: string; minInstances?: number; answered: number; shed?: number; instanceStarts?: Record<string, number>; deadlineMet: number; deadlineMetAfterLearning: number;
    warmFeasible?: number; deadlinesMetOfWarmFeasible?: number | null; cost: { perRequestUSD: number; initUSD: number; idleUSD: number } };
  const srows = s.rows as SRow[];
  const hist = srows.find((r) => r.functions === 1 && r.keepAlive === 'histogram');
  const warmMin = srows.find((r) => r.functions === 1 && (r.minInstances ?? 0) > 0);
  if (!hist) throw new Error('docs/results/sparse/report.json has no unsplit histogram row (the README states that policy)');
  const fixed = srows.find((r) => r.functions === 1 && r.keepAlive === 'fixed' && !r.minInstances);
  const chains = srows.filter((r) => r.functions > 1);
  const chain = chains.length ? chains.reduce((a, r) => (r.deadlineMet > a.deadlineMet ? r : a)) : undefined;
  const issue29 = hist.deadlinesMetOfWarmFeasible !== undefined;
  const perM = (r: SRow, usd: number) => `$${f((usd / r.answered) * 1e6, 0)}`;
  // A row that answered nothing has no cost per answered request to state.
  const usd = (r: SRow) => (r.answered > 0 ? ` at $${f(r.cost.perRequestUSD * 1e6, 0)} per million requests including warm-up` +
    (issue29 ? ` (${perM(r, r.cost.initUSD)} instance starts, ${perM(r, r.cost.idleUSD)} idle)` : '') : '');
  const warm = (r: SRow) => (r.deadlinesMetOfWarmFeasible === undefined ? ''
    : r.deadlinesMetOfWarmFeasible === null ? 'no deadline warm-feasible'
      : `${pc(r.deadlinesMetOfWarmFeasible, 1)} of the ${r.warmFeasible} a warm function meets`);
  const shed = fixed && fixed.answered < s.workload.requests ? ', whose cold requests are shed early (503) rather than computed' : '';
  const against = fixed ? `, against ${pc(fixed.deadlineMet)}${warm(fixed) ? ` (${warm(fixed)})` : ''}${fixed.answered > 0 ? ` and $${f(fixed.cost.perRequestUSD * 1e6, 0)}` : ''} with the fixed keep-alive${shed}` : '';
  const chainPart = chain ? `; a ${chain.functions}-function chain meets ${pc(chain.deadlineMet)} (${pc(chain.deadlineMetAfterLearning)})` : '';
  // Where the misses went: requests shed while instances started (the histogram's tail outrun by a longer gap).
  const startsNote = (r: SRow) => {
    const starts = Object.values(r.instanceStarts ?? {}).reduce((a, b) => a + b, 0);
    return r.shed && starts ? `, whose ${r.shed} shed requests arrived while one of its ${starts} instance starts ran` : '';
  };
  const minPart = warmMin ? `; one instance kept started from deployment on (a warm minimum of ${warmMin.minInstances}: Cloud Run min-instances, Lambda provisioned concurrency) meets ${pc(warmMin.deadlineMet)}${warm(warmMin) ? ` (${warm(warmMin)})` : ''}${usd(warmMin)}` : '';
  const hw = hist.deadlinesMetOfWarmFeasible;
  const reached = (r: SRow, what: string, note = '') => `${r.deadlinesMetOfWarmFeasible! >= 0.99 ? 'reached' : 'not reached'} by ${what} (${pc(r.deadlinesMetOfWarmFeasible!, 1)} of ${r.warmFeasible})${note}`;
  const verdict = !issue29 ? 'The issue\'s 99 % is not reached: the remaining misses are arrivals after gaps longer than the learned tail.'
    : hw === null || hw === undefined ? 'No deadline was warm-feasible, so the issue\'s 99 % of warm-feasible deadlines is not measured.'
      : `The issue's 99 % of warm-feasible deadlines is ${reached(hist, 'the histogram policy', startsNote(hist))}${warmMin && typeof warmMin.deadlinesMetOfWarmFeasible === 'number' ? `; it is ${reached(warmMin, 'the warm minimum')}` : ''}.`;
  return `(\`${issue29 && s.command ? s.command : 'node --import tsx bench/sparse.ts'}\`: ${mn(s.model)} on ${pn(s.platform)}, ${s.workload.requests} Poisson requests ${f(s.workload.meanGapMs / 1000, 0)} s apart on average, keep-alive ` +
    `${f(s.workload.keepAliveMs / 1000, 0)} s${s.workload.scaleOut === 'patient' ? ', patient scale-out (a busy instance is waited for when that is expected to be shorter than a start)' : ''}, deadline ${s.workload.sloMs} ms, shorter than any cold start with weights from the store; ${loadPhrase([s.load.loadAvg], s.load.cores)}) the histogram keep-alive policy ` +
    `(Shahrad et al.${s.workload.histogramFallbackMs > s.workload.keepAliveMs ? `; kept alive ${f(s.workload.histogramFallbackMs / 1000, 0)} s, its range, until it has learned the gaps` : ''}) meets ${pc(hist.deadlineMet)} of deadlines (${pc(hist.deadlineMetAfterLearning)} once it has learned the gaps${warm(hist) ? `; ${warm(hist)}` : ''})${usd(hist)}` +
    `${minPart}${against}${chainPart}: [${path}](${path}). ${verdict}`;
}

function partitionSection(d: ResultsData): string[] {
  const pm = d.partitionMatrix as Array<{ model: string; platform: string; strategy: string; ok: boolean; maxRelErr: number }>;
  const models = new Set(pm.map((x) => x.model)).size;
  const platforms = new Set(pm.map((x) => x.platform)).size;
  const strategies = new Set(pm.map((x) => x.strategy)).size;
  const planMax = Math.max(...(d.planTime as Array<{ planMs: number }>).map((x) => x.planMs));
  type RE = { model: string; exporter?: string; layers: number; cutPoints: number; zoo?: { layers: number; cutPoints: number };
    cells: Array<{ platform: string; strategy: string; functions: number; parallelGroups: number; verify?: Array<{ ok: boolean }> }> };
  const re = d.realExporters.rows as RE[];
  const exporters = new Set(re.map((r) => r.exporter ?? 'torch.onnx.export')).size;
  const twins = re.filter((r) => r.zoo);
  const same = twins.filter((r) => r.zoo!.layers === r.layers);
  const differ = twins.filter((r) => r.zoo!.layers !== r.layers);
  const verifies = re.flatMap((r) => r.cells.flatMap((c) => c.verify ?? []));
  const resnet = re.find((r) => r.model === 'resnet50');
  const gillis = resnet ? resnet.cells.filter((c) => c.strategy === 'gillis').map((c) => c.parallelGroups) : [];
  const split = re.flatMap((r) => r.cells.filter((c) => c.strategy === 'mopar' && c.functions > 1).map((c) => ({ r, c })));
  const vgg = re.find((r) => r.model === 'vgg16');
  return [
    `Partitioning is exact on every full-size zoo model: all ${models} models × ${platforms} platforms × ${strategies} strategies plan, build and ` +
    `verify against the unsplit model (${pm.filter((x) => x.ok).length} of ${pm.length} cells, max relative error ${Math.max(...pm.map((x) => x.maxRelErr)).toExponential(2)} at onnxruntime's full graph ` +
    `optimisation), and any plan takes at most ${f(planMax, 0)} ms from a saved profile: ` +
    '[docs/results/partition-matrix.md](docs/results/partition-matrix.md).',
    'Real exporter output partitions like the zoo (constant subgraphs folded into weights, shape arithmetic kept with ' +
    `its tensor, dynamic batch kept), over ${re.length} full-size models from ${exporters} exporters — ${re.map((r) => r.model).join(', ')}. ` +
    `Layers as the zoo's twin on ${names(same.map((r) => mn(r.model)))} (${same.map((r) => r.layers).join(', ')}), ` +
    `within ${Math.max(...differ.map((r) => Math.abs(r.layers - r.zoo!.layers)))} on the others` +
    (vgg?.zoo ? ` (${mn(vgg.model)} ${vgg.cutPoints} cut points vs the zoo's ${vgg.zoo.cutPoints})` : '') +
    `; gillis ${range(gillis, 0)} parallel groups on the real ResNet-50; ` +
    (split.length ? `\`mopar\` splits ${names(split.map(({ r, c }) => `${r.model} into ${c.functions} functions on ${pn(c.platform)}`))}; ` : '') +
    `${verifies.filter((v) => v.ok).length} of ${verifies.length} builds verified allclose at batch 1 and batch 4; the \`mopar\` ` +
    'plans side by side with the zoo twin\'s, profiled back to back: ' +
    '[docs/results/real-exporters.md](docs/results/real-exporters.md).',
  ];
}

/** The whole section body (between the markers), from the committed data. */
export function renderResults(d: ResultsData): string {
  return [
    ...sweepSection(d), '',
    ...dlrmSection(d), '',
    ...fullSection(d), '',
    ...workloadSection(d), '',
    ...coldSection(d), '',
    ...fleetSection(d.fleets), '',
    ...overheadSection(d.overhead), '',
    ...partitionSection(d),
  ].join('\n');
}

/** The text between the markers, or null when the README has none. */
export function readmeResults(readme: string): string | null {
  const a = readme.indexOf(RESULTS_BEGIN);
  const b = readme.indexOf(RESULTS_END);
  if (a < 0 || b < a) return null;
  return readme.slice(a + RESULTS_BEGIN.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/** The README with the text between the markers replaced (markers must exist). */
export function replaceResults(readme: string, body: string): string {
  const a = readme.indexOf(RESULTS_BEGIN);
  const b = readme.indexOf(RESULTS_END);
  if (a < 0 || b < a) throw new Error(`README has no ${RESULTS_BEGIN} … ${RESULTS_END} markers`);
  return `${readme.slice(0, a + RESULTS_BEGIN.length)}\n${body}\n${readme.slice(b)}`;
}

/** Compares the README's section with the rendering: ok, or the first differing lines (README line numbers). */
export function checkResults(readme: string, rendered: string): { ok: boolean; diff: string[] } {
  const current = readmeResults(readme);
  if (current === null) return { ok: false, diff: [`README has no ${RESULTS_BEGIN} … ${RESULTS_END} markers`] };
  if (current === rendered) return { ok: true, diff: [] };
  const offset = readme.slice(0, readme.indexOf(RESULTS_BEGIN)).split('\n').length; // README line of the first body line
  const a = current.split('\n');
  const b = rendered.split('\n');
  const diff: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && diff.length < 12; i++) {
    if (a[i] === b[i]) continue;
    diff.push(`@@ README.md line ${offset + i + 1} @@`);
    if (a[i] !== undefined) diff.push(`- ${a[i]}`);
    if (b[i] !== undefined) diff.push(`+ ${b[i]}`);
  }
  return { ok: false, diff };
}
