/** The README results renderers for the sweeps (the full zoo sweep, the reading of it, the DLRM sweep). */
import { median } from '../core/index.js';
import type { ResultsData } from './results-readme.js';
import type { SweepReport } from './sweep.js';
import { predictionRatios, stepVerdicts } from './sweep-report.js';
import { f, pc, range, rangePc, names, mn, pn, loadPhrase, measuredOk } from './results-format.js';

export function sweepSection(d: ResultsData): string[] {
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
    ...subsetSentence(d.sweepSubset),
    '',
    ...honestReading(d),
  ];
}

/** The re-run on a few models after the prediction work: measured ÷ predicted by function count. */
function subsetSentence(r: SweepReport): string[] {
  const cls = (n: number) => (n === 1 ? '1 function' : n <= 3 ? '2–3 functions' : n <= 9 ? '4–9 functions' : '10+ functions');
  const order = ['1 function', '2–3 functions', '4–9 functions', '10+ functions'];
  const classes = order.filter((c) => r.sweep.some((x) => x.measured && cls(x.functions) === c));
  const all = predictionRatios(r.sweep);
  const per = classes.map((c) => { const q = predictionRatios(r.sweep.filter((x) => cls(x.functions) === c)); return `${c} ${f(q.p50)} / ${f(q.cost)} (${q.cells} cell${q.cells === 1 ? '' : 's'})`; });
  const minutes = Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60000);
  return [`A re-run after that work on ${names(r.config.models.map(mn))} × ${names(r.config.platforms.map(pn))} (${r.config.steps} steps, ${minutes} minutes, ` +
    `${loadPhrase(r.loadAverage, r.machine.cpus, r.machine.cpuModel)}) measured ${f(all.p50)}× the predicted p50 and ${f(all.cost)}× the predicted cost at the median over ` +
    `${all.cells} cells (by function count, p50 / cost: ${per.join('; ')}): [docs/results/sweep-3models/report.md](docs/results/sweep-3models/report.md). ` +
    'The full sweep has not been re-run.'];
}

/** The "honest reading" paragraph: bounds, mopar's wins and misses, the prediction gap — every figure from sweep-full. */
export function honestReading(d: ResultsData): string[] {
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
export function splitBoundReach(txt: string): { target: string; mlpMs: string; reach: Map<string, string> } {
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

export function dlrmSection(d: ResultsData): string[] {
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
