/**
 * README results on serving: the per-request overhead against bare onnxruntime (bench/overhead.ts) and models that
 * share weights served as one fleet (`bench --fleet`), rendered from their committed reports like every other
 * results paragraph (results-readme.ts).
 */
import { f, loadPhrase, pc } from './results-format.js';
import type { FleetBenchReport } from './fleet.js';

/** What bench/overhead.ts writes with --json. */
export interface OverheadReport {
  cpu: string; cores: number; loadBefore: number[]; loadAfter: number[]; requests: number;
  cases: Array<{ label: string; threads: number; p50: {
    bare: number; floor: number; binary: number; json: number; chain3: number;
    /** Reports since 2026-12-07: loopback HTTP to a busy server process (no IPC), and the Knative deployment's functions. */
    httpFloor?: number; deployed?: number; deployed3?: number;
  } }>;
}

/** Issue 28's targets for a 224×224×3 FP32 image (ms over bare, over binary, over bare per hand-off). */
const TARGETS = { binary: 1.0, jsonOverBinary: 12, chainBase: 1.0, perHandOff: 0.5 };

export function overheadSection(o: OverheadReport): string[] {
  const c = o.cases.find((x) => x.label.includes('224')) ?? o.cases[o.cases.length - 1]!;
  const p = c.p50;
  const over = (x: number) => `+${f(x - p.bare)} ms`;
  const chainTarget = TARGETS.chainBase + 2 * TARGETS.perHandOff;
  const met = (ok: boolean) => (ok ? 'met' : 'missed');
  return [
    `Serving overhead (\`node --import tsx bench/overhead.ts\`: ${c.label.replace(/ (\d+)x(\d+)x(\d+)x(\d+)$/, ' at $1×$2×$3×$4')}, ${c.threads} thread, ` +
    `${o.requests} requests of each kind interleaved with a bare onnxruntime session in the same process, ${loadPhrase([...o.loadBefore.slice(0, 1), ...o.loadAfter.slice(0, 1)], o.cores)}): ` +
    `bare ${f(p.bare)} ms at the median; served unsplit over the binary extension ${over(p.binary)} (issue 28's target +${f(TARGETS.binary, 1)}: ${met(p.binary - p.bare <= TARGETS.binary)}), ` +
    `as KServe v2 JSON +${f(p.json - p.binary)} ms more (target +${TARGETS.jsonOverBinary}: ${met(p.json - p.binary <= TARGETS.jsonOverBinary)}), ` +
    `in 3 functions ${over(p.chain3)} (target +${f(chainTarget, 1)}: ${met(p.chain3 - p.bare <= chainTarget)}). ` +
    `What any gateway-plus-host design pays on this machine, measured in the same run: the same body over loopback HTTP to a plain server that hands it ` +
    `over Node IPC to a process busy for the bare run's time, ${over(p.floor)} (no code of ours: the wake-ups of four processes and the transfers); ` +
    `so the runtime's own share of the unsplit binary request is +${f(p.binary - p.floor)} ms.` +
    (p.deployed !== undefined && p.httpFloor !== undefined && p.deployed3 !== undefined
      ? ` Deployed as \`mopar deploy --target knative\` writes it and run by \`local-run\` (the unsplit model is one function that is its own endpoint: no gateway, no IPC), ` +
        `${over(p.deployed)} (target +${f(TARGETS.binary, 1)}: ${met(p.deployed - p.bare <= TARGETS.binary)}), of which loopback HTTP to a plain server process busy for the bare run's time ` +
        `takes ${over(p.httpFloor)} with no code of ours — the least any HTTP design pays here for this request — and the function itself +${f(p.deployed - p.httpFloor)} ms; ` +
        `its 3-function deployment (an entry calling its slices over HTTP) ${over(p.deployed3)}.`
      : ''),
  ];
}

export function fleetSection(reports: Array<{ report: FleetBenchReport; path: string }>): string[] {
  const runs = reports.map((x) => x.report);
  const usd = (x: number) => `$${f(x * 1e6)}`;
  const line = (r: FleetBenchReport) => {
    const s = r.separate;
    const q = r.fleet;
    const layout = r.layout ?? 'prefix';
    const head = (r.options as { head?: string }).head === 'classifier' ? 'the classifier only' : 'the last stage and the classifier';
    const cost = r.ratios.cost >= 1 ? `${f(r.ratios.cost)}× cheaper per request` : `${f(1 / r.ratios.cost)}× dearer per request`;
    return `${r.options.variants} variants that differ in ${head} (${pc(r.sharedFraction)} of each one's weights shared), layout \`${layout}\`, ` +
      `scale-out ${r.options.scaleOut ?? 'eager'}, ${s.requests} requests: the fleet was ${cost} ` +
      `(${usd(q.costPerRequestUSD)} vs ${usd(s.costPerRequestUSD)} per million, of which starts ${usd(q.startsUSD / Math.max(1, q.answered))} vs ${usd(s.startsUSD / Math.max(1, s.answered))}), ` +
      `with ${q.coldStarts} cold starts against ${s.coldStarts} (${r.ratios.coldStarts >= 1 ? `${f(r.ratios.coldStarts)}× fewer` : `${f(1 / r.ratios.coldStarts)}× more`}${layout === 'switch' ? '' : `; ${q.sharedColdStarts} of the shared prefix`}), held ÷${f(r.ratios.memory)} the memory over time, ` +
      `and met the SLO for ${pc(q.sloAttainment, 1)} of requests against ${pc(s.sloAttainment, 1)}`;
  };
  const r0 = runs[0]!;
  const allOk = runs.every((r) => r.answers.every((a) => a.separateOk && a.fleetOk));
  return [
    'Models that share weights share functions (`mopar partition A.onnx B.onnx … -o DIR`; layout `switch`, the default: one function file holding the shared ' +
    'part once and every model\'s own part, each request running only its own; layout `prefix`: the shared prefix as its own function and each model\'s own ' +
    `functions): \`node bin/mopar.js bench --fleet\` served seeded fine-tunings of ${r0.options.model} with Poisson traffic of ${r0.options.ratePerSec} req/s each for ` +
    `${f(r0.options.durationMs / 1000, 0)} s (keep-alive ${f(r0.options.keepWarmMs / 1000, 0)} s, SLO ${r0.options.sloMs} ms, billed as ${r0.options.platform}, starts billed) ` +
    `as separate deployments and as one fleet on the same arrivals, ${loadPhrase(runs.flatMap((r) => [r.separate.load.loadAvg, r.fleet.load.loadAvg]), r0.machine.cpus)}: ` +
    `${runs.map(line).join('; ')}; every variant answered allclose to its own unsplit model on both sides: ${allOk ? 'yes' : 'NO'}. ` +
    (runs.some((r) => (r.layout ?? 'prefix') === 'prefix' && r.ratios.cost < 1)
      ? 'With the `prefix` layout a request is two calls, each billed its own granule, and every variant\'s own part still starts cold on its own traffic; ' +
        'the `switch` layout keeps one instance warm on every variant\'s traffic. '
      : '') +
    'Reports: ' + reports.map((x) => `[${x.path}](${x.path})`).join(', ') + '.',
  ];
}
