/**
 * The README's "Results so far" section, rendered from the committed reports under docs/results/ so that every
 * number a reader sees there comes from data (issue 27). Prose that explains stays template text; figures, counts,
 * the machine and whether it was loaded are read from the reports. `npm run results -- --check` compares this
 * rendering with the README between the markers; `npm run results` rewrites that part.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOADED_RATIO, median } from '../core/index.js';
import type { SweepReport, SweepRow } from './sweep.js';
import type { WorkloadReport } from './workload.js';
import type { BenchReport } from './types.js';
import { predictionRatios, stepVerdicts } from './sweep-report.js';

export const RESULTS_BEGIN = '<!-- results:begin -->';
export const RESULTS_END = '<!-- results:end -->';

/* eslint-disable @typescript-eslint/no-explicit-any -- bench scripts outside src/ write these reports; only the fields read here matter */
export interface ResultsData {
  sweepFull: SweepReport;
  dlrm: SweepReport;
  workload: WorkloadReport;
  full: BenchReport;
  sparse: any;
  coldStart: any;
  prepack: any;
  partitionMatrix: any[];
  planTime: any[];
  batchTimings: any;
  realExporters: any;
  splitBoundTxt: string;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function loadResultsData(root: string): ResultsData {
  const j = (p: string) => JSON.parse(readFileSync(join(root, 'docs/results', p), 'utf8'));
  return {
    sweepFull: j('sweep-full/sweep.json'), dlrm: j('sweep-dlrm-criteo/sweep.json'), workload: j('workload-quick/report.json'),
    full: j('full/report.json'), sparse: j('sparse/report.json'), coldStart: j('cold-start/cold-start.json'),
    prepack: j('prepack-memory/prepack-memory.json'), partitionMatrix: j('partition-matrix.json'), planTime: j('plan-time.json'),
    batchTimings: j('batch-timings.json'), realExporters: j('real-exporters.json'),
    splitBoundTxt: readFileSync(join(root, 'docs/results/split-bound.txt'), 'utf8'),
  };
}

// ---- formatting: one place, so the same quantity always reads the same way ----
const f = (x: number, d = 2) => x.toFixed(d);
const pc = (x: number, d = 0) => `${(x * 100).toFixed(d)} %`;
/** "a–b" with both ends at d decimals; one value when they round the same. */
function range(xs: number[], d = 2, unit = ''): string {
  const lo = f(Math.min(...xs), d);
  const hi = f(Math.max(...xs), d);
  return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
}
function rangePc(xs: number[], d = 0): string {
  const lo = (Math.min(...xs) * 100).toFixed(d);
  const hi = (Math.max(...xs) * 100).toFixed(d);
  return lo === hi ? `${lo} %` : `${lo}–${hi} %`;
}
const sec = (ms: number) => f(ms / 1000, 2);
const names = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const MODEL_NAMES: Record<string, string> = {
  vgg16: 'VGG-16', resnet50: 'ResNet-50', densenet121: 'DenseNet-121', mobilenetv2: 'MobileNetV2', 'efficientnet-b0': 'EfficientNet-B0',
  'convnext-tiny': 'ConvNeXt-T', 'vit-b16': 'ViT-B/16', 'deit-s16': 'DeiT-S', 'mixer-b16': 'Mixer', 'bert-base': 'BERT', gpt2: 'GPT-2', dlrm: 'DLRM',
};
const PLATFORM_NAMES: Record<string, string> = { 'aws-lambda': 'Lambda', 'gcp-cloud-run': 'Cloud Run', openfaas: 'OpenFaaS', 'alibaba-fc': 'Function Compute' };
const mn = (m: string) => MODEL_NAMES[m] ?? m;
const pn = (p: string) => PLATFORM_NAMES[p] ?? p;

/**
 * How the machine was while measuring, from its load average and cores: the same rule as core/load.ts (loaded
 * above LOADED_RATIO per core), stated with the figures so a reader can judge.
 */
export function loadPhrase(loads: number[], cores: number, machine = 'machine'): string {
  const hi = Math.max(...loads);
  const figures = loads.length > 1 ? `load average ${range(loads, 2)}` : `load average ${f(hi, 2)}`;
  return hi / cores > LOADED_RATIO
    ? `on the loaded ${cores}-core ${machine} (${figures}: timings inflated)`
    : `on the ${cores}-core ${machine}, not otherwise loaded (${figures})`;
}

const measuredOk = (r: SweepRow) => !!r.measured && !r.error && r.measured.errors === 0 && !!r.verify?.ok;

function sweepSection(d: ResultsData): string[] {
  const r = d.sweepFull;
  const minutes = Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60000);
  const measured = r.sweep.filter((x) => x.measured);
  const allVerified = measured.every((x) => x.verify?.ok);
  const n = r.noise!;
  const models = r.config.models.length;
  const predicted = r.sweep.filter((x) => x.predictedSloMet).length;
  const met = r.sweep.filter((x) => x.feasible).length;
  const moparPred = r.sweep.filter((x) => x.strategy === 'mopar' && x.predictedSloMet).length;
  const moparMet = r.sweep.filter((x) => x.strategy === 'mopar' && x.feasible).length;
  const tightestMet = r.sweep.some((x) => x.step === 0 && x.feasible);
  const verdicts = stepVerdicts(r);
  const predVerdicts = stepVerdicts({ ...r, sweep: r.sweep.map((x) => ({ ...x, feasible: x.predictedSloMet })) });
  const everyStep = (vs: typeof verdicts, p: string) => {
    const mine = vs.filter((v) => v.platform === p);
    const ms = [...new Set(mine.map((v) => v.model))];
    return {
      med: ms.filter((m) => mine.filter((v) => v.model === m).every((v) => v.moparCheapest !== false)).length,
      max: ms.filter((m) => mine.filter((v) => v.model === m).every((v) => v.withinMaxNoise !== false)).length,
      models: ms.length,
    };
  };
  const rows: string[] = [];
  const noneCounts: number[] = [];
  let stepsPer = 0;
  for (const p of r.config.platforms) {
    const keys = [...new Set(r.sweep.filter((x) => x.platform === p).map((x) => `${x.model}\u0000${x.step}`))];
    stepsPer = keys.length;
    let some = 0, mop = 0, cheap = 0;
    for (const k of keys) {
      const [m, s] = k.split('\u0000') as [string, string];
      const cells = r.sweep.filter((x) => x.platform === p && x.model === m && x.step === Number(s) && x.feasible && measuredOk(x));
      if (!cells.length) continue;
      some++;
      const mo = cells.find((x) => x.strategy === 'mopar');
      if (!mo) continue;
      mop++;
      // "Cheapest within 5 %": a fixed tolerance a reader can check, wider than the median noise pair.
      if (mo.measured!.costPerMillionUSD <= Math.min(...cells.map((x) => x.measured!.costPerMillionUSD)) * 1.05) cheap++;
    }
    noneCounts.push(keys.length - some);
    const e = everyStep(verdicts, p);
    const overFloor = verdicts.filter((v) => v.platform === p && v.step === r.config.steps - 1 && v.moparOverFloor !== null).map((v) => v.moparOverFloor!);
    const gm = Math.exp(overFloor.reduce((a, x) => a + Math.log(x), 0) / overFloor.length);
    rows.push(`| ${p} | ${some} of ${keys.length} | ${mop} | ${cheap} | ${e.med} / ${e.max}${rows.length === 0 ? ` of ${e.models} models` : ''} | ${f(gm)} |`);
  }
  const moparRatio = predictionRatios(r.sweep.filter((x) => x.strategy === 'mopar'));
  const allRatio = predictionRatios(r.sweep);
  const pv = r.config.platforms.map((p) => { const e = everyStep(predVerdicts, p); return `${e.med} / ${e.max}`; });
  return [
    '**Where partitioning pays, measured** (`mopar bench --sweep`: per model × platform a ladder of ' +
    `${r.config.steps} SLOs from the fastest any strategy can reach to 2× the unsplit function's 1-vCPU latency; at each step every strategy's cheapest ` +
    'deployment that meets it — the unsplit baseline is the best single function at any size — planned, built, verified ' +
    'and served, measured interleaved with the others and with a control pair for the noise floor, against the ' +
    `physical floor of the work). All ${models} full-size zoo models × ${names(r.config.platforms.map(pn))} × ${r.config.strategies.length} ` +
    `strategies, ${loadPhrase(r.loadAverage, r.machine.cpus, r.machine.cpuModel)} (${minutes} minutes, ${measured.length} measured cells, ` +
    `${allVerified ? 'every build verified allclose' : `${measured.filter((x) => x.verify?.ok).length} builds verified allclose`}; ` +
    `noise floor from ${n.pairs} control pairs: cost ${pc(n.costDiffMedian, 1)} median / ${pc(n.costDiffMax)} max): ` +
    '[docs/results/sweep-full/report.md](docs/results/sweep-full/report.md).',
    '',
    '**Judged on measurement** (re-rendered from the same sweep.json with `node --import tsx bench/sweep-rerender.ts ' +
    'docs/results/sweep-full`; nothing re-measured): a deployment meets its SLO only when its measured p50 does. Of the ' +
    `${predicted} cells whose plans predicted they meet their SLO, ${met} measurably did; of mopar's ${moparPred}, ${moparMet}. ` +
    `${tightestMet ? 'Some deployment measurably met the tightest step of some model' : 'No deployment of any strategy measurably met the tightest step of any model on any platform'}, ` +
    `and at ${range(noneCounts, 0)} of the ${stepsPer} steps per platform nothing measured met the SLO.`,
    '',
    '| platform | steps where some deployment measurably met the SLO | of them, mopar\'s met it | … and was the cheapest of those within 5 % | mopar no dearer at every step (median / max noise) | mopar ÷ floor, loosest step (geomean) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Judged on the plans\' predictions, as this README said before (a cell counted as meeting its SLO when its plan ' +
    `predicted so), the same data read ${names(pv)} models with mopar no dearer at every step. The ` +
    `difference is the prediction gap below: mopar's deployments measured ${f(moparRatio.p50)}× their predicted p50 at the median, so a ` +
    'plan chosen to just meet an SLO usually misses it in measurement. Closing that gap (profiling what is served, the ' +
    `quota model for fractional vCPUs) and re-running the sweep is open work (measured ÷ predicted p50 over all ${allRatio.cells} cells: median ${f(allRatio.p50)}).`,
    '',
    ...honestReading(d),
  ];
}

/** The "honest reading" paragraph: bounds, mopar's wins and misses, the prediction gap — every figure from sweep-full. */
function honestReading(d: ResultsData): string[] {
  const r = d.sweepFull;
  const slack = 1 + (r.noise?.costDiffMedian ?? 0);
  const last = r.config.steps - 1;
  const cell = (m: string, p: string, s: number, st: string) => r.sweep.find((x) => x.model === m && x.platform === p && x.step === s && x.strategy === st);
  // Split bound: how much cheaper any split could be, from the platform rules alone.
  const of = r.splitBound.filter((b) => b.platform === 'openfaas');
  const ofOthers = of.filter((b) => b.model !== 'dlrm' && b.boundRatio > 1);
  const ofDlrm = of.find((b) => b.model === 'dlrm');
  // Above 1 as printed: a bound that rounds to 1.00 allows no visible saving.
  const elsewhere = r.splitBound.filter((b) => b.platform !== 'openfaas' && Number(f(b.boundRatio)) > 1);
  const nonOfPlatforms = r.config.platforms.filter((p) => p !== 'openfaas');
  const boundSentence = `no split can be more than ${ofOthers.length ? rangePc(ofOthers.map((b) => b.boundRatio - 1)) : '0 %'} cheaper on OpenFaaS` +
    `${ofDlrm && ofDlrm.boundRatio > 1 ? ` (DLRM: ${pc(ofDlrm.boundRatio - 1)})` : ''}, and none can be cheaper at all on ${names(nonOfPlatforms.map(pn))}` +
    `${elsewhere.length ? `, except ${names(elsewhere.map((b) => `${mn(b.model)} (${f(b.boundRatio)}) on ${pn(b.platform)}`))}` : ''}`;
  // mopar's wins: a split mopar deployment measurably cheaper than the unsplit function at the same step.
  const wins = new Map<string, { ratios: number[]; functions: number }>();
  for (const mo of r.sweep.filter((x) => x.strategy === 'mopar' && x.functions > 1 && x.feasible && measuredOk(x))) {
    const un = cell(mo.model, mo.platform, mo.step, 'unsplit');
    if (!un?.feasible || !measuredOk(un)) continue;
    const ratio = un.measured!.costPerMillionUSD / mo.measured!.costPerMillionUSD;
    if (ratio <= slack) continue;
    const k = `${mo.model}\u0000${mo.platform}`;
    const w = wins.get(k) ?? { ratios: [], functions: mo.functions };
    w.ratios.push(ratio);
    wins.set(k, w);
  }
  const winText = [...wins].map(([k, w]) => {
    const [m, p] = k.split('\u0000') as [string, string];
    return `on ${pn(p)} ${mn(m)} in ${w.functions} functions measured ${range(w.ratios)}× cheaper than the unsplit function at ${w.ratios.length} step${w.ratios.length > 1 ? 's' : ''}`;
  });
  // SLOs no single function can meet by its plan: mopar met them with parallel sub-slices in prediction only.
  const tight = r.sweep.filter((x) => x.strategy === 'mopar' && x.predictedSloMet && x.subSlices > 0 &&
    !r.sweep.some((y) => y.model === x.model && y.platform === x.platform && y.step === x.step && y.functions === 1 && y.predictedSloMet));
  const tightMeasured = tight.filter((x) => x.measured && x.measured.requests > 0);
  const overSlo = tightMeasured.map((x) => x.measured!.p50Ms / x.sloMs);
  const tightMet = tight.filter((x) => x.feasible).length;
  const example = [...tightMeasured].sort((a, b) => a.measured!.p50Ms / a.sloMs - b.measured!.p50Ms / b.sloMs)[Math.floor(tightMeasured.length / 2)];
  const tightWhere = [...new Set(tight.map((x) => x.platform))].map((p) => {
    const ms = tight.filter((x) => x.platform === p).map((x) => mn(x.model));
    return `${ms.length > 2 ? `${ms.length} models` : names(ms)} on ${pn(p)}`;
  });
  // Misses at the loosest step: a cheaper deployment than mopar's measured beyond the noise.
  const misses = stepVerdicts(r).filter((v) => v.step === last && v.moparCheapest === false && v.best && v.moparUSD !== null)
    .map((v) => `${mn(v.model)} on ${pn(v.platform)} (${v.best!.strategy} ${pc(1 - v.best!.usd / v.moparUSD!)} cheaper)`);
  // The gap by deployment shape: one function vs three slices, measured ÷ predicted cost.
  const costRatio = (st: string) => median(r.sweep.filter((x) => x.strategy === st && measuredOk(x)).map((x) => x.measured!.costPerMillionUSD / x.predicted.costPerMillionUSD));
  const vit = d.prepack.rows.find((x: { model: string }) => x.model === 'vit-b16');
  const gpt = d.prepack.rows.find((x: { model: string }) => x.model === 'gpt2');
  return [
    'Honest reading: on these models the unsplit function is nearly always the cheapest deployment, and mopar mostly ' +
    'keeps it. From the platform rules alone (the split bound: the unsplit function\'s physical cost ÷ the floor of any ' +
    'split, in which the function holding the heaviest layer pays a granule at a size that holds it) ' + boundSentence + '. ' +
    `mopar's own wins: ${winText.length ? names(winText) : 'none beyond the noise'}` +
    (winText.length ? ' — more than the bound allows where the big unsplit function ran slower than its profile (below)' : '') + '. ' +
    `The ${tight.length} SLOs tighter than any single function can meet by its plan (the tightest step of ${names(tightWhere)}) are ` +
    `met by mopar's plans with Gillis-style parallel sub-slices (${range(tight.map((x) => x.functions), 0)} functions), ` +
    (tightMet ? `${tightMet} of them in measurement` : 'but not in measurement here') +
    (overSlo.length ? `: on ${r.machine.cpus} cores the sub-slices share the CPU, so they measured ${range(overSlo, 0)}× the SLO` +
      (example ? ` (e.g. ${mn(example.model)} in ${example.functions} functions, ${f(example.measured!.p50Ms, 0)} ms for a ${f(example.sloMs, 0)} ms SLO)` : '') +
      '; a platform gives each its own' : '') + '. ' +
    `Where mopar misses at the loosest step, another deployment measured cheaper: ${misses.length ? names(misses) : 'nowhere'}. ` +
    `These misses are within the planner's own error: measured ÷ predicted cost at the median was ${f(costRatio('unsplit'))}× for unsplit functions ` +
    `and ${f(costRatio('uniform:3'))}× for 3-slice deployments (uniform:3), so alternatives a few percent apart are ranked by noise in the prediction. ` +
    'What makes a host slower than its profile is partly found: ' +
    'weight pre-packing is off in hosts (it costs memory only where a GEMM weight is also read by another op — GPT-2\'s tied ' +
    `embedding, +${f(gpt.peakOnMB - gpt.peakOffMB, 0)} MB — but the memory model does not count that; with it ViT-B/16 runs ${f(vit.msOn, 0)} instead of ` +
    `${f(vit.msOff, 0)} ms in a host, [docs/results/prepack-memory](docs/results/prepack-memory/prepack-memory.json)), and GPT-2's logits ` +
    'per request crossed Node\'s IPC channel (now /dev/shm); ViT-B/16 runs its session faster alone in a host than when served ' +
    'interleaved with the other deployments of its sweep cell on this machine, not yet explained. The ' +
    '≥ 1.3× at multi-core SLOs is not reached: the unsplit function meets almost every step with more vCPUs. An earlier ' +
    'two-platform run (before model outputs moved to /dev/shm): ' +
    '[docs/results/sweep-lambda-cloudrun/report.md](docs/results/sweep-lambda-cloudrun/report.md).',
  ];
}

/** The split-bound text file's "÷X first reachable on P: G GB ..." lines (scaling: poor, the first block). */
function splitBoundReach(txt: string): { target: string; mlpMs: string; reach: Map<string, string> } {
  const reach = new Map<string, string>();
  let target = '';
  for (const line of txt.split('\n')) {
    const m = /^÷([\d.]+) first reachable on ([\w-]+): (.*)$/.exec(line);
    if (!m || reach.has(m[2]!)) continue;
    target = m[1]!;
    reach.set(m[2]!, m[3]!);
  }
  const mlp = /MLPs (?:taken as )?([\d.]+) ms at 1 vCPU/.exec(txt);
  return { target, mlpMs: mlp?.[1] ?? '?', reach };
}

function dlrmSection(d: ResultsData): string[] {
  const r = d.dlrm;
  const minutes = Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60000);
  const pairs = r.config.platforms.map((p) => {
    const un = r.sweep.filter((x) => x.platform === p && x.strategy === 'unsplit' && measuredOk(x));
    const mo = r.sweep.filter((x) => x.platform === p && x.strategy === 'mopar' && measuredOk(x));
    return { p, ratios: mo.map((m) => un.find((u) => u.step === m.step)!.measured!.costPerMillionUSD / m.measured!.costPerMillionUSD),
      fns: mo.map((m) => m.functions) };
  });
  const oneFn = pairs.every((x) => x.fns.every((n) => n === 1));
  const bound = (p: string) => r.splitBound.find((b) => b.platform === p)!;
  const of = bound('openfaas');
  const sb = splitBoundReach(d.splitBoundTxt);
  const reach = (p: string) => {
    const s = sb.reach.get(p) ?? 'not measured';
    const gb = /^([\d.]+) GB/.exec(s)?.[1];
    if (/not within/.test(s)) return `on ${pn(p)} not within these sizes`;
    return /exceeds/.test(s) ? `on ${pn(p)} only past the unsplit function's limit (${gb} GB)` : `first on ${pn(p)} at ${gb} GB of embeddings`;
  };
  return [
    '**The memory-heavy recommender** (`dlrm-criteo`: 26 uncapped Criteo tables, one user × candidates per request), swept on all ' +
    `${r.config.platforms.length} platforms (${names(r.config.strategies)}, ${r.config.steps} steps, ${minutes} minutes, ${loadPhrase(r.loadAverage, r.machine.cpus)}): ` +
    `mopar keeps ${oneFn ? 'one function everywhere' : 'a split somewhere'}, measured ${range(pairs.flatMap((x) => x.ratios))}× the unsplit cost: ` +
    '[docs/results/sweep-dlrm-criteo/report.md](docs/results/sweep-dlrm-criteo/report.md). That is what the platform ' +
    `rules allow for this model: its split bound is ${f(bound('gcp-cloud-run').boundRatio)} on Cloud Run (the function holding the table layer pays a ` +
    `whole-vCPU granule whatever the split), ${f(bound('aws-lambda').boundRatio)} on Lambda, ${f(bound('alibaba-fc').boundRatio)} on Function Compute (fees and granules cost ` +
    `more than the memory a split frees from little work), and ${f(of.boundRatio)} on OpenFaaS, where mopar measured ${f(of.measuredRatio ?? NaN)} ` +
    `(${pc((of.measuredRatio ?? NaN) / of.boundRatio)} of the bound): its planner prices the best split dearer, for a hand-off and a second host. ` +
    `MOPAR's ÷${sb.target} needs compute that the tables' memory forces onto an oversized function: by the rules (\`bench/split-bound.ts\`, ` +
    `MLPs taken as ${sb.mlpMs} ms at 1 vCPU, each table its own layer) it is reachable ${names(['gcp-cloud-run', 'aws-lambda', 'openfaas', 'alibaba-fc'].map(reach))}: ` +
    '[docs/results/split-bound.txt](docs/results/split-bound.txt). An earlier version of that bound priced both granules of a split at ' +
    'the smallest size and was wrong. mopar also cannot yet cut between parallel embedding tables (all 26 are one layer), which ' +
    'the split-bound script assumes.',
  ];
}

function fullSection(d: ResultsData): string[] {
  const s = Object.values(d.full.summary);
  return [
    `The first full bench (\`mopar bench -o OUT\`: ${d.full.config.models.length} models × ${d.full.config.platforms.length} platforms × ${d.full.config.strategies.length} strategies at one SLO, ${d.full.rows.length} cells, before the ` +
    `runtime served with onnxruntime's arena) found mopar on par with the unsplit function (cost ÷${range(s.map((x) => x.costRatioGeomean))}): ` +
    '[docs/results/full/report.md](docs/results/full/report.md); the sweep above supersedes it.',
  ];
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
    '[docs/results/workload-quick/report.md](docs/results/workload-quick/report.md). ' +
    'The remaining misses were not analysed on this run; the planner\'s queue model still leaves out scale-out starts ' +
    'and instance limits.',
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

function coldSection(d: ResultsData): string[] {
  const c = d.coldStart;
  type Row = { model: string; strategy: string; functions: number; weightsMB: number; predicted: { coldMs: number; costPerMillionUSD: number };
    measured: { coldAfterIdleMedianMs: number; costPerMillionUSD: number }; phases: Array<{ fetchMs: number; fetchedMB: number }> };
  const rows = c.rows as Row[];
  const get = (m: string, s: string) => rows.find((r) => r.model === m && r.strategy === s)!;
  const models = [...new Set(rows.map((r) => r.model))];
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
  // Fetch bandwidth from the phase table: the unsplit fetch alone vs the split's parallel fetches.
  const vgg = get(models[0]!, 'unsplit');
  const vggSplit = get(models[0]!, 'mopar --cold-slo-ms');
  const alone = vgg.phases[0]!;
  const parallel = vggSplit.phases.filter((p) => p.fetchedMB > 0);
  const mbps = vggSplit.phases.reduce((a, p) => a + p.fetchedMB, 0) / (Math.max(...parallel.map((p) => p.fetchMs)) / 1000);
  const s = d.sparse;
  type SRow = { strategy: string; functions: number; keepAlive: string; answered: number; deadlineMet: number; deadlineMetAfterLearning: number; cost: { perRequestUSD: number } };
  const srows = s.rows as SRow[];
  const hist = srows.find((r) => r.functions === 1 && r.keepAlive === 'histogram')!;
  const fixed = srows.find((r) => r.functions === 1 && r.keepAlive === 'fixed')!;
  const chain = srows.filter((r) => r.functions > 1).reduce((a, r) => (r.deadlineMet > a.deadlineMet ? r : a));
  // A row that answered nothing has no cost per answered request to state.
  const usd = (r: SRow) => (r.answered > 0 ? ` at $${f(r.cost.perRequestUSD * 1e6, 0)} per million requests including warm-up` : '');
  const shed = fixed.answered < s.workload.requests ? ', whose cold requests are shed early (503) rather than computed' : '';
  return [
    'Cold starts (weights fetched at cold start from a local S3-compatible server shaped to the platform\'s object ' +
    'store, every function of a chain started when the request enters; [docs/cold-starts.md](docs/cold-starts.md)), ' +
    `measured ${loadPhrase([c.loadAverage.before, c.loadAverage.after, c.loadAverage.highest], c.cores)} by \`node --import tsx bench/cold-start.ts --models ${models.join(',')} --platform ` +
    `${c.platform} --repeats ${c.config.repeats} --keep-warm-s ${c.config.keepWarmMs / 1000}\`: planned under \`--cold-slo-ms\`, ${names(lines)}. ` +
    'The 2× target is missed here, and the phase table ' +
    `says why: on this ${c.cores}-core machine all weight fetches share ~${f(alone.fetchedMB / (alone.fetchMs / 1000), 0)} MB/s whatever the number of streams (${mn(vgg.model)}'s ${f(alone.fetchedMB, 0)} MB ` +
    `in ${f(alone.fetchMs / 1000, 1)} s alone, ${f(mbps, 0)} MB/s in all as ${parallel.length} parallel fetches), while on a platform each function fetches over its own network: ` +
    `[docs/results/cold-start/cold-start.md](docs/results/cold-start/cold-start.md). On sparse traffic ` +
    `(\`node --import tsx bench/sparse.ts\`: ${mn(s.model)} on ${pn(s.platform)}, ${s.workload.requests} Poisson requests ${f(s.workload.meanGapMs / 1000, 0)} s apart on average, keep-alive ` +
    `${f(s.workload.keepAliveMs / 1000, 0)} s, deadline ${s.workload.sloMs} ms, shorter than any cold start with weights from the store; ${loadPhrase([s.load.loadAvg], s.load.cores)}) the histogram keep-alive policy ` +
    `(Shahrad et al.) meets ${pc(hist.deadlineMet)} of deadlines (${pc(hist.deadlineMetAfterLearning)} once it has learned the gaps)${usd(hist)}, ` +
    `against ${pc(fixed.deadlineMet)}${fixed.answered > 0 ? ` and $${f(fixed.cost.perRequestUSD * 1e6, 0)}` : ''} with the fixed keep-alive${shed}; ` +
    `a ${chain.functions}-function chain meets ${pc(chain.deadlineMet)} (${pc(chain.deadlineMetAfterLearning)}): [docs/results/sparse/report.md](docs/results/sparse/report.md). ` +
    'The issue\'s 99 % is not reached: the remaining misses are arrivals after gaps longer than the learned tail.',
  ];
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
