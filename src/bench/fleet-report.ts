/** `bench --fleet`'s report: OUT/report.json and OUT/report.md (the sides, the ratios, and how they scale). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetBenchReport, FleetSide } from './fleet.js';

const usd = (x: number) => (Number.isFinite(x) ? `$${(x * 1e6).toFixed(2)}` : '—');
const fx = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/**
 * The keep-alive model behind the note: with Poisson arrivals at λ per second and keep-alive K seconds, an
 * instance is loaded a share w(λ) = 1 − e^(−λK) of the time (idle gaps cut at K) and a request finds it cold with
 * probability e^(−λK). A function every variant uses sees N·λ. With a shared share f of each variant's weights,
 * memory held, separate ÷ fleet (in one variant's weights): `prefix` layout (the shared prefix and each variant's
 * own part as functions) N·w(λ) ÷ (f·w(Nλ) + N·(1−f)·w(λ)); `switch` layout (one function holding the prefix and
 * every variant's own part) N·w(λ) ÷ ((f + N·(1−f))·w(Nλ)). Cold share per request: separate e^(−λK); the shared
 * function e^(−NλK); a variant's own function (prefix layout) e^(−λK).
 */
export function fleetScaling(n: number, f: number, ratePerSec: number, keepAliveS: number, layout: FleetBenchReport['layout'] = 'prefix', sizes?: SwitchSizes): { memory: number; sharedColdShare: number; ownColdShare: number } {
  const w = (r: number) => 1 - Math.exp(-r * keepAliveS);
  // With the planned sizes (switch): one variant's deployment M, the switch function at N variants S(N) = S(N0) +
  // (N − N0)·own MB, so the fixed memory of a function (runtime, session) counts as it is planned.
  const memory = layout === 'switch' && sizes
    ? (n * sizes.separateMB * w(ratePerSec)) / ((sizes.fleetMB + (n - sizes.n0) * sizes.ownMB) * w(n * ratePerSec))
    : (n * w(ratePerSec)) / (layout === 'switch' ? (f + n * (1 - f)) * w(n * ratePerSec) : f * w(n * ratePerSec) + n * (1 - f) * w(ratePerSec));
  return { memory, sharedColdShare: Math.exp(-n * ratePerSec * keepAliveS), ownColdShare: layout === 'switch' ? 0 : Math.exp(-ratePerSec * keepAliveS) };
}

/** Planned sizes for the switch model: one variant's deployment, the switch function at `n0` variants, one own part's weights. */
export interface SwitchSizes { separateMB: number; fleetMB: number; n0: number; ownMB: number }

function switchSizes(r: FleetBenchReport): SwitchSizes | undefined {
  const sep = r.separate.plannedMB;
  const fleet = r.fleet.plannedMB;
  if (sep === undefined || fleet === undefined || r.variantWeightsBytes === undefined) return undefined;
  return { separateMB: sep / r.options.variants, fleetMB: fleet, n0: r.options.variants, ownMB: (1 - r.sharedFraction) * r.variantWeightsBytes / 2 ** 20 };
}

export function fleetHeadline(r: FleetBenchReport): string[] {
  const s = r.separate;
  const f = r.fleet;
  return [
    `${r.options.variants} variants of ${r.options.model}${r.options.tiny ? ' (tiny)' : ''}, ${fx(r.sharedFraction * 100, 0)} % of each one's weights shared; ${s.requests} requests on the same arrivals`,
    `cost per 1M requests: separate ${usd(s.costPerRequestUSD)}, fleet ${usd(f.costPerRequestUSD)} (${fx(r.ratios.cost, 2)}× )`,
    `cold starts: separate ${s.coldStarts}, fleet ${f.coldStarts} (${layoutOf(r) === 'switch' ? 'its one function holds every variant' : `${f.sharedColdStarts} of the shared prefix`}) (${fx(r.ratios.coldStarts, 2)}×)`,
    `memory held: separate ${fx(s.memoryMBs / 1024, 1)} GB·s, fleet ${fx(f.memoryMBs / 1024, 1)} GB·s (${fx(r.ratios.memory, 2)}×)`,
    `SLO ${r.options.sloMs} ms attained: separate ${fx(s.sloAttainment * 100)} %, fleet ${fx(f.sloAttainment * 100)} %; answers allclose to each unsplit variant: ${r.answers.every((a) => a.separateOk && a.fleetOk) ? 'yes' : 'NO'}`,
  ];
}

export function fleetMarkdown(r: FleetBenchReport): string[] {
  const o = r.options;
  const row = (x: FleetSide) => `| ${x.side} | ${x.functions} | ${fx(x.filesBytes / 2 ** 20, 2)} | ${x.requests} | ${x.answered} | ${fx(x.sloAttainment * 100)} | ${fx(x.p50Ms, 0)} | ${fx(x.p99Ms, 0)} | ${usd(x.costPerRequestUSD)} | ${usd(x.startsUSD / Math.max(1, x.answered))} | ${x.coldStarts} | ${x.coldCalls} | ${fx(x.memoryMBs / 1024, 1)} | ${fx(x.meanMemoryMB, 0)} | ${fx(x.load.loadAvg, 2)} |`;
  const layout = layoutOf(r);
  const sizes = switchSizes(r);
  const scale = [2, 4, 8].map((n) => ({ n, ...fleetScaling(n, r.sharedFraction, o.ratePerSec, o.keepWarmMs / 1000, layout, sizes) }));
  return [
    '# mopar bench --fleet', '',
    `Started ${r.startedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}. ${o.variants} variants of ${o.model}${o.tiny ? ' (tiny)' : ''} differing only in their`,
    `${o.head === 'classifier' ? 'classifier' : 'last stage and classifier'} (seeded), each with Poisson arrivals at ${o.ratePerSec} req/s for ${fx(o.durationMs / 1000, 0)} s (seed ${o.seed}), the same`,
    `arrivals on both sides; keep-alive ${fx(o.keepWarmMs / 1000)} s, scale-out ${o.scaleOut ?? 'eager'}, nothing pre-warmed; billed as ${o.platform} (every call at its measured`,
    `duration, every instance start as the platform bills init). The fleet shares its first ${r.cut.sharedNodes} nodes (divergence at`,
    `\`${r.cut.divergence ?? '—'}\`): ${fx(r.sharedFraction * 100, 1)} % of a variant's weights. ${layout === 'switch'
      ? 'Layout `switch`: one function holds the shared part and every variant\'s own part; a request runs the shared part and its own.'
      : 'Layout `prefix`: the shared part is its own function(s), each variant\'s own part its own.'}`, '',
    ...fleetHeadline(r).map((l) => `- ${l}`), '',
    '| side | functions | files MiB | requests | answered | SLO % | p50 ms | p99 ms | $/1M req | of it starts $/1M | cold starts | cold calls | memory GB·s | mean MB held | load 1m max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row(r.separate), row(r.fleet), '',
    '## How the advantage grows', '',
    `With λ = ${o.ratePerSec} req/s per variant and keep-alive K = ${fx(o.keepWarmMs / 1000)} s, a function is loaded a share w(r) = 1 − e^(−rK)`,
    'of the time at arrival rate r and a request finds it cold with probability e^(−rK). Separately, every variant\'s function',
    'sees λ; a function all variants use sees Nλ. ' + (layout === 'switch'
      ? 'Here the fleet is one function holding the shared part (a share f of each variant\'s weights) and N own parts, so'
        + (sizes
          ? ` memory held, separate ÷ fleet, is N·M·w(λ) ÷ (S(N)·w(Nλ)) with M = ${fx(sizes.separateMB, 0)} MB planned per variant and S(N) = ${fx(sizes.fleetMB, 0)} MB + (N − ${sizes.n0}) × ${fx(sizes.ownMB, 0)} MB`
            + ` (f = ${fx(r.sharedFraction, 2)} of a variant's weights shared), and every request is cold`
          : ` memory held, separate ÷ fleet, is N·w(λ) ÷ ((f + N·(1−f))·w(Nλ)) in weights (f = ${fx(r.sharedFraction, 2)} here), and every request is cold`)
        + ' with e^(−NλK): cold starts fall with N whatever f is, and the memory advantage grows with f and with N while traffic is sparse.'
      : 'Here the shared prefix is its own function and each variant keeps its own, so memory held, separate ÷ fleet, is'
        + ` N·w(λ) ÷ (f·w(Nλ) + N·(1−f)·w(λ)) (f = ${fx(r.sharedFraction, 2)} here), while the variants' own parts keep their cold starts`
        + ' (e^(−λK)) whatever N is.'),
    'Sparse traffic (λK small) is where sharing pays most; with dense traffic every function stays warm either way.', '',
    '| N | memory held, separate ÷ fleet (model) | shared function cold share | own-part cold share |', '| --- | --- | --- | --- |',
    ...scale.map((x) => `| ${x.n} | ${fx(x.memory, 2)} | ${fx(x.sharedColdShare, 3)} | ${layout === 'switch' ? '— (none)' : fx(x.ownColdShare, 3)} |`), '',
    '## Answers', '',
    '| variant | separate allclose | fleet allclose | max rel err |', '| --- | --- | --- | --- |',
    ...r.answers.map((a) => `| ${a.variant} | ${a.separateOk ? 'yes' : 'NO'} | ${a.fleetOk ? 'yes' : 'NO'} | ${a.maxRelErr.toExponential(2)} |`), '',
  ];
}

/**
 * What `bench --fleet --json` prints (the outside contract): the report, with `fleet` as rows {`strategy`
 * (`separate` | `shared`), `costPerMillionUSD`, `coldStarts`, `sloAttainment`, `memoryMBs`, and the side's other
 * fields}; the fleet side also stays under `shared`. report.json keeps the sides as `separate` and `fleet`.
 */
export function fleetJson(r: FleetBenchReport): object {
  const row = (strategy: 'separate' | 'shared', x: FleetSide) => ({ strategy, costPerMillionUSD: x.costPerRequestUSD * 1e6, ...x });
  return { ...r, shared: r.fleet, fleet: [row('separate', r.separate), row('shared', r.fleet)] };
}

/** Reports written before layouts had the prefix layout. */
function layoutOf(r: FleetBenchReport): FleetBenchReport['layout'] {
  return r.layout ?? 'prefix';
}

export function writeFleetReport(outDir: string, r: FleetBenchReport): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.md'), `${fleetMarkdown(r).join('\n')}\n`);
}
