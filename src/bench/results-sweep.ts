/** The README results renderers for the sweeps (the full zoo sweep, the reading of it, the DLRM sweep). */
import { LOADED_RATIO, median } from '../core/index.js';
import type { ResultsData } from './results-readme.js';
import { SLO_PERCENTILE, type SweepReport } from './sweep.js';
import { stepVerdicts } from './sweep-report.js';
import { FUNCTION_CLASSES, PROMISE_BOUNDS, promiseCheck, type PlatformSteps, type PromiseCheck, type Ratios } from './sweep-promises.js';
import { f, pc, range, names, mn, pn, loadPhrase, measuredOk } from './results-format.js';

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
  const tightestMet = r.sweep.filter((x) => x.step === 0 && x.feasible).map((x) => `${x.model}\u0000${x.platform}`);
  const verdicts = stepVerdicts(r);
  const everyStep = (p: string) => {
    const mine = verdicts.filter((v) => v.platform === p);
    const ms = [...new Set(mine.map((v) => v.model))];
    return {
      med: ms.filter((m) => mine.filter((v) => v.model === m).every((v) => v.moparCheapest !== false)).length,
      max: ms.filter((m) => mine.filter((v) => v.model === m).every((v) => v.withinMaxNoise !== false)).length,
      models: ms.length,
    };
  };
  const now = promiseCheck(r);
  const before = promiseCheck(d.sweepBefore);
  const rows = now.platforms.map((s, i) => {
    const e = everyStep(s.platform);
    const overFloor = verdicts.filter((v) => v.platform === s.platform && v.step === r.config.steps - 1 && v.moparOverFloor !== null).map((v) => v.moparOverFloor!);
    const gm = Math.exp(overFloor.reduce((a, x) => a + Math.log(x), 0) / overFloor.length);
    return `| ${pn(s.platform)} | ${s.someMet} of ${s.steps} | ${s.moparMet} | ${s.moparCheapest} | ${e.med} / ${e.max}${i === 0 ? ` of ${e.models} models` : ''} | ${f(gm)} |`;
  });
  const nothingMet = now.platforms.map((s) => s.steps - s.someMet);
  // The load while the cells were measured (each cell's highest), not at the run's start or end: run 6 started at
  // 3.73 as a test suite finished, and the README called the whole run loaded while every cell was quiet.
  const cellLoads = measured.flatMap((x) => (x.load ? [x.load.loadAvg] : []));
  const stepsPer = now.platforms[0]?.steps ?? 0;
  return [
    '**Where partitioning pays, measured** (`mopar bench --sweep`: per model × platform a ladder of ' +
    `${r.config.steps} SLOs from the fastest any strategy can reach to 2× the unsplit function's 1-vCPU latency; at each step every strategy's cheapest ` +
    'deployment that meets it — the unsplit baseline is the best single function at any size — planned, built, verified ' +
    'and served, measured interleaved with the others and with a control pair for the noise floor, against the ' +
    `physical floor of the work). All ${models} full-size zoo models × ${names(r.config.platforms.map(pn))} × ${r.config.strategies.length} ` +
    `strategies, ${loadPhrase(cellLoads.length ? [Math.min(...cellLoads), Math.max(...cellLoads)] : r.loadAverage, r.machine.cpus, r.machine.cpuModel)}${cellLoads.length ? ' while its cells were measured' : ''} (${minutes} minutes, ${measured.length} measured cells, ` +
    `${allVerified ? 'every build verified allclose' : `${measured.filter((x) => x.verify?.ok).length} builds verified allclose`}; ` +
    `noise floor from ${n.pairs} control pairs: cost ${pc(n.costDiffMedian, 1)} median / ${pc(n.costDiffMax)} max): ` +
    '[docs/results/sweep-full/report.md](docs/results/sweep-full/report.md).',
    '',
    `**Judged on measurement**: a deployment meets its SLO only when its measured p${SLO_PERCENTILE} does. Of the ` +
    `${predicted} cells whose plans predicted they meet their SLO, ${met} measurably did; of mopar's ${moparPred}, ${moparMet}. ` +
    `${tightestMet.length ? `Some deployment measurably met the tightest step of ${new Set(tightestMet).size} of the ${models * r.config.platforms.length} model × platform pairs` : 'No deployment of any strategy measurably met the tightest step of any model on any platform'}, ` +
    `and at ${range(nothingMet, 0)} of the ${stepsPer} steps per platform nothing measured met the SLO.`,
    '',
    '| platform | steps where some deployment measurably met the SLO | of them, mopar\'s met it | … and was the cheapest of those within 5 % | mopar no dearer at every step (median / max noise) | mopar ÷ floor, loosest step (geomean) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...promisesTable(now, before, d.sweepBefore),
    '',
    ...honestReading(d),
  ];
}

/** The planner's promises on this sweep beside the full sweep before the prediction work (sweep-promises.ts). */
function promisesTable(now: PromiseCheck, before: PromiseCheck, old: SweepReport): string[] {
  const b = PROMISE_BOUNDS;
  const ratio = (x: Ratios | undefined) => (x && x.cells ? `${f(x.p50)} / ${f(x.cost)} (${x.cells})` : '—');
  const cls = (c: PromiseCheck, label: string) => c.classes.find((k) => k.label === label);
  const steps = (s: PlatformSteps | undefined) => (s ? `${s.moparCheapest} of ${s.someMet}` : '—');
  const floor = (c: PromiseCheck) => `${c.belowFloor.length} of ${c.moparMeasured}`;
  const load = (c: PromiseCheck) => (c.load.cells ? `${c.load.quiet} of ${c.load.cells}` : 'not recorded');
  const promises = (Object.keys(now.kept) as Array<keyof PromiseCheck['kept']>);
  const label: Record<keyof PromiseCheck['kept'], string> = { ratios: 'predictions within their bounds', steps: 'mopar meets and is cheapest', floor: 'nothing below the floor', load: 'quiet cells' };
  return [
    `**Promises kept?** The planner's promises checked on this sweep (\`src/bench/sweep-promises.ts\`), beside the full sweep of ${old.startedAt.slice(0, 10)} ` +
    '(before the planner profiled what is served: [docs/results/sweep-full-2026-12-01/report.md](docs/results/sweep-full-2026-12-01/report.md)). ' +
    `Kept on this run: ${names(promises.filter((k) => now.kept[k]).map((k) => label[k])) || 'none'}; not kept: ${names(promises.filter((k) => !now.kept[k]).map((k) => label[k])) || 'none'}.`,
    '',
    '| promise | bound | before | this run |',
    '|---|---|---|---|',
    `| measured ÷ predicted, median p50 / cost (cells), all | within ${pc(b.allCells)} | ${ratio(before.all)} | ${ratio(now.all)} |`,
    ...FUNCTION_CLASSES.filter((l) => cls(now, l) || cls(before, l)).map((l) => `| … ${l} | within ${pc(b.perClass)} | ${ratio(cls(before, l))} | ${ratio(cls(now, l))} |`),
    ...(Number.isFinite(now.all.p50Here) ? [`| measured p50 ÷ the plan with its hand-offs priced as this runtime performs them (shared memory): all; ${now.classes.map((k) => k.label).join('; ')} | — | not recorded | ` +
      `${[now.all, ...now.classes].map((k) => f(k.p50Here)).join('; ')} |`] : []),
    ...now.platforms.map((s) => `| ${pn(s.platform)}: steps where mopar's measurably met the SLO and was the cheapest within ${pc(b.cheapestWithin)}, of those where any did | ≥ ${pc(b.steps)} | ` +
      `${steps(before.platforms.find((x) => x.platform === s.platform))} | ${steps(s)} |`),
    `| mopar cells measured below their floor | none | ${floor(before)} | ${floor(now)} |`,
    `| cells measured at a load of at most ${LOADED_RATIO} per core | ≥ ${pc(b.quietCells)} | ${load(before)} | ${load(now)} |`,
  ];
}

/** The "honest reading" paragraph: bounds, mopar's wins and misses, the prediction gap — every figure from sweep-full. */
export function honestReading(d: ResultsData): string[] {
  const r = d.sweepFull;
  const slack = 1 + (r.noise?.costDiffMedian ?? 0);
  const last = r.config.steps - 1;
  const cell = (m: string, p: string, s: number, st: string) => r.sweep.find((x) => x.model === m && x.platform === p && x.step === s && x.strategy === st);
  // Split bound: how much cheaper any split could be, from the platform rules alone (above 1 as printed: a bound
  // that rounds to 1.00 allows no visible saving). It rests on the physical floor, so it is as tight as the floor.
  const open = r.splitBound.filter((b) => Number(f(b.boundRatio)) > 1 && Number.isFinite(b.boundRatio));
  const verdicts = stepVerdicts(r);
  const overFloor = verdicts.filter((v) => v.step === last && v.moparOverFloor !== null).map((v) => v.moparOverFloor!);
  const boundSentence = `a split could be cheaper at ${open.length} of the ${r.splitBound.length} model × platform pairs` +
    (open.length ? ` (bound ${range(open.map((b) => b.boundRatio))})` : '') +
    `; the bound is only as tight as the floor it rests on, and mopar's measured cost at the loosest step was ${range(overFloor)}× that floor, ` +
    'which prices every layer at full speed inside a fresh CPU-quota period, as if each were its own function without its fees';
  // mopar's wins: a split mopar deployment measurably cheaper than the unsplit function at the same step.
  const wins = new Map<string, { ratios: number[]; functions: number; bound: number }>();
  for (const mo of r.sweep.filter((x) => x.strategy === 'mopar' && x.functions > 1 && x.feasible && measuredOk(x))) {
    const un = cell(mo.model, mo.platform, mo.step, 'unsplit');
    if (!un?.feasible || !measuredOk(un)) continue;
    const ratio = un.measured!.costPerMillionUSD / mo.measured!.costPerMillionUSD;
    if (ratio <= slack) continue;
    const k = `${mo.model}\u0000${mo.platform}`;
    const bound = r.splitBound.find((b) => b.model === mo.model && b.platform === mo.platform)?.boundRatio ?? Infinity;
    const w = wins.get(k) ?? { ratios: [], functions: mo.functions, bound };
    w.ratios.push(ratio);
    wins.set(k, w);
  }
  const winText = [...wins].map(([k, w]) => {
    const [m, p] = k.split('\u0000') as [string, string];
    const over = Math.max(...w.ratios) > w.bound ? ` (more than its bound of ${f(w.bound)}: the unsplit function measured dearer than its plan)` : '';
    return `on ${pn(p)} ${mn(m)} in ${w.functions} functions measured ${range(w.ratios)}× cheaper than the unsplit function at ${w.ratios.length} step${w.ratios.length > 1 ? 's' : ''}${over}`;
  });
  // SLOs no single function can meet by its plan: mopar's plans with parallel sub-slices.
  const tight = r.sweep.filter((x) => x.strategy === 'mopar' && x.predictedSloMet && x.subSlices > 0 &&
    !r.sweep.some((y) => y.model === x.model && y.platform === x.platform && y.step === x.step && y.functions === 1 && y.predictedSloMet));
  const tightMeasured = tight.filter((x) => x.measured && x.measured.requests > 0);
  const overSlo = tightMeasured.map((x) => x.measured!.p50Ms / x.sloMs);
  const tightMet = tight.filter((x) => x.feasible).length;
  const composed = tightMeasured.filter((x) => x.measured!.measuredAs === 'composed').length;
  const tightWhere = [...new Set(tight.map((x) => x.platform))].map((p) => {
    const ms = tight.filter((x) => x.platform === p).map((x) => mn(x.model));
    return `${ms.length > 2 ? `${ms.length} models` : names(ms)} on ${pn(p)}`;
  });
  // Misses at the loosest step: a cheaper deployment than mopar's measured beyond the noise.
  const misses = verdicts.filter((v) => v.step === last && v.moparCheapest === false && v.best && v.moparUSD !== null)
    .map((v) => `${mn(v.model)} on ${pn(v.platform)} (${v.best!.strategy} ${pc(1 - v.best!.usd / v.moparUSD!)} cheaper)`);
  // The gap by deployment shape: one function vs three slices, measured ÷ predicted cost.
  const costRatio = (st: string) => median(r.sweep.filter((x) => x.strategy === st && measuredOk(x)).map((x) => x.measured!.costPerMillionUSD / x.predicted.costPerMillionUSD));
  // Multi-core SLOs: steps the unsplit function met only with more than one vCPU's speed, and mopar's saving there.
  const bigWins = verdicts.filter((v) => v.ratio !== null && v.ratio >= 1.3).length;
  const single = { steps: 0, cheapestSingle: 0, moparSingle: 0 };
  for (const k of new Set(r.sweep.map((x) => `${x.model}\u0000${x.platform}\u0000${x.step}`))) {
    const met = r.sweep.filter((x) => `${x.model}\u0000${x.platform}\u0000${x.step}` === k && x.feasible && measuredOk(x));
    if (!met.length) continue;
    single.steps++;
    const cheapest = met.reduce((a, x) => (x.measured!.costPerMillionUSD < a.measured!.costPerMillionUSD ? x : a));
    if (cheapest.functions === 1) single.cheapestSingle++;
    if (met.find((x) => x.strategy === 'mopar')?.functions === 1) single.moparSingle++;
  }
  const tightText = tight.length
    ? `The ${tight.length} SLOs tighter than any single function can meet by its plan (the tightest step of ${names(tightWhere)}) are ` +
      `met by mopar's plans with Gillis-style parallel sub-slices (${range(tight.map((x) => x.functions), 0)} functions) in prediction; ` +
      `${tightMet} of them in measurement${overSlo.length ? ` (measured ${range(overSlo)}× the SLO${composed ? `; ${composed} composed from one function at a time, as the ${r.machine.cpus} cores here cannot run their sub-slices at once` : ''})` : ''}. `
    : 'No SLO of this sweep needed parallel sub-slices by its plans. ';
  return [
    `Honest reading: at ${single.cheapestSingle} of the ${single.steps} steps where some deployment measurably met the SLO, the cheapest of them was one function, ` +
    `and mopar's deployment was one function at ${single.moparSingle} of them. From the platform rules alone (the split bound: the unsplit function's physical cost ÷ the floor of any ` +
    'split, in which the function holding the heaviest layer pays a granule at a size that holds it) ' + boundSentence + '. ' +
    `mopar's own wins: ${winText.length ? names(winText) : 'none beyond the noise'}. ` + tightText +
    `Where mopar misses at the loosest step, another deployment measured cheaper: ${misses.length ? names(misses) : 'nowhere'}` +
    (misses.length ? `; measured ÷ predicted cost at the median was ${f(costRatio('unsplit'))}× for unsplit functions and ${f(costRatio('uniform:3'))}× for ` +
      '3-slice deployments (uniform:3), so plans a few percent apart can swap places in measurement' : '') + '. ' +
    `mopar measured at least 1.3× cheaper than every other deployment that met the same SLO at ${bigWins} of the ${verdicts.length} steps. An earlier ` +
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
