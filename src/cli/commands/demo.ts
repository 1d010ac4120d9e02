import type { Command } from 'commander';
import type { DemoResult } from '../../bench/index.js';
import { examples, intOption, jsonOption, platformOption, printJson, table } from '../options.js';

export function registerDemo(program: Command): void {
  const cmd = program.command('demo')
    .description('the whole path on a zoo model: partition it, serve unsplit and partitioned side by side, compare')
    .option('--model <name>', 'zoo model', 'resnet50')
    .option('--tiny', 'use the tiny variant (seconds instead of minutes)');
  platformOption(cmd, 'billing model for the plan and the cost columns');
  cmd.option('--requests <n>', 'requests sent to each side', intOption('--requests'), 20);
  jsonOption(cmd);
  examples(cmd, ['mopar demo', 'mopar demo --model vgg16 --platform openfaas', 'mopar demo --tiny --requests 5 --json']);
  cmd
    .action(async (opts: { model: string; tiny?: boolean; platform: string; requests: number; json?: boolean }) => {
      const { runDemo } = await import('../../bench/index.js'); // on use: see bench.ts
      const r = await runDemo({ model: opts.model, tiny: !!opts.tiny, platform: opts.platform, requests: opts.requests });
      if (opts.json) printJson(r);
      else process.stdout.write(`${render(r)}\n`);
    });
}

function render(r: DemoResult): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const rss = (s: DemoResult['unsplit']) => Object.entries(s.peakRssMB).map(([k, v]) => `${k}:${f(v, 0)}`).join(' ');
  const rows = (['unsplit', 'partitioned'] as const).map((k) => {
    const s = r[k];
    return [k, s.functions, f(s.p50Ms), f(s.p95Ms), f(s.configuredMB, 0), rss(s), s.gbSecondsPerRequest.toFixed(4), `$${s.costPerMillionUSD.toFixed(2)}`, `$${s.predictedCostPerMillionUSD.toFixed(2)}`];
  });
  const ratio = r.unsplit.costPerMillionUSD / r.partitioned.costPerMillionUSD;
  return [
    `mopar demo: ${r.model} on the embedded runtime, billed as ${r.platform}; ${r.requests} requests each` +
    ` (cgroup limits ${r.limitsEnforced ? 'enforced' : 'NOT enforced: cgroups are not writable here'})`,
    '',
    table(['model', 'functions', 'p50 ms', 'p95 ms', 'memory MB', 'peak RSS MB per function', 'GB-s/req', 'cost/1M', 'predicted'], rows),
    '',
    ...(r.samePlanAsUnsplit
      ? [`plan: under its own latency (SLO ${f(r.sloMs)} ms) the cheapest plan for ${r.model} on ${r.platform} is the unsplit ` +
        'function itself, so both sides deploy the same function and differ only by noise.\nTry another --platform or ' +
        '--model; docs/results/full/report.md shows where splitting pays.', '']
      : []),
    ...r.warnings.map((w) => `warning: ${w}`),
    `outputs match: max relative error ${r.maxRelErr.toExponential(2)} (verify: ${r.verify.maxRelErr.toExponential(2)})`,
    ...renderBatching(r),
    r.samePlanAsUnsplit
      ? `result: no difference — mopar kept ${r.model} as one function, so both sides are the same deployment. Their measured ` +
        `figures still differ by ${f(Math.abs(ratio - 1) * 100)} % in cost and ${f(Math.abs(r.partitioned.p50Ms / r.unsplit.p50Ms - 1) * 100)} % in p50: ` +
        `that is this run's measurement noise (timing jitter, and the platform's billing granule where a call's time sits near a step), ` +
        `so no difference smaller than it means anything here. (${f(r.seconds, 0)} s)`
      : `cost: partitioned is ${ratio >= 1 ? `${f(ratio, 2)}× cheaper` : `${f(1 / ratio, 2)}× more expensive`}; ` +
        `p50 latency ${f((r.partitioned.p50Ms / r.unsplit.p50Ms - 1) * 100)} % vs unsplit. (${f(r.seconds, 0)} s)`,
  ].join('\n');
}

/** × floor: below 1 the floor is not a floor of this measurement, and the cell says so rather than a ratio. */
function floorCell(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return x < 1 ? `${x.toFixed(2)} (under the floor)` : x.toFixed(2);
}

function renderBatching(r: DemoResult): string[] {
  const b = r.batching;
  const apps = b.apps.map((a) => `${a.name} (SLO ${a.sloMs} ms, ${a.ratePerSec} req/s${a.arrivals?.kind === 'bursty' ? ', bursty' : ''})`).join(', ');
  const head = `batching: ${apps}; ${b.seconds} s of the same seeded arrivals sent to both sides at once`;
  if (b.error || !b.unbatched || !b.batched) return [head, `batching: not run: ${b.error ?? 'no plan'}`, ''];
  const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)} %`);
  const perApp = (m: NonNullable<DemoResult['batching']['batched']>) => (m.apps ?? []).map((a) => `${a.app} ${a.p99Ms.toFixed(0)} (${pct(a.sloAttainment)})`).join(', ');
  const groups = (b.groups ?? []).map((g) => `${g.apps.join('+')}: batch ≤ ${g.maxBatch}, wait ≤ ${g.timeoutMs.toFixed(0)} ms, ${g.functions} function${g.functions === 1 ? '' : 's'}`).join('; ');
  const row = (name: string, m: NonNullable<DemoResult['batching']['batched']>) =>
    // Nothing answered: no cost per answered request to show (it would be a division by zero dressed as a price).
    m.answered ? [name, m.answered, (m.meanBatch ?? NaN).toFixed(2), `$${((m.costPerRequestUSD ?? NaN) * 1e6).toFixed(2)}`, floorCell(m.costToFloor), pct(m.sloAttainment), perApp(m)]
      : [name, 0, '–', '–', '–', pct(m.sloAttainment), perApp(m)];
  const ratio = (b.unbatched.costPerRequestUSD ?? NaN) / (b.batched.costPerRequestUSD ?? NaN);
  return [
    head, `groups (HarmonyBatch): ${groups}`, '',
    table(['side', 'answered', 'mean batch', 'cost/1M', '× floor', 'lowest SLO attainment', 'p99 ms per app (attainment)'],
      [row('unsplit, one request per invocation', b.unbatched), row('batched + partitioned', b.batched)]),
    '',
    `batching: ${ratio >= 1 ? `${ratio.toFixed(2)}× cheaper` : `${(1 / ratio).toFixed(2)}× more expensive`} per request than one request per invocation of the unsplit function` +
    `${b.batched.error ? ` (${b.batched.error})` : ''}${b.unbatched.error ? ` (unsplit side: ${b.unbatched.error})` : ''}.`,
    // A ratio with no batches formed is not batching's doing: say where it comes from.
    ...((b.batched.meanBatch ?? 1) < 1.05
      ? [`batching: no batches formed at this rate (mean batch ${(b.batched.meanBatch ?? NaN).toFixed(2)}), so the difference is the groups' function sizes and this run's noise, not batching.`]
      : []),
    ...((b.batched.costToFloor ?? 1) < 1 || (b.unbatched.costToFloor ?? 1) < 1
      ? ['batching: a side billed below its floor means the floor (computed from the profile) overestimates this work here; it is not a lower bound for these figures.']
      : []),
    // A cheaper bill that misses the SLOs is no saving: say so next to the ratio.
    ...(Number(((b.batched.sloAttainment ?? 0) * 100).toFixed(1)) < 99
      ? [`batching: but the batched side missed its SLOs (lowest attainment ${pct(b.batched.sloAttainment)} vs ${pct(b.unbatched.sloAttainment)} unbatched), so this is not a saving at these SLOs.`]
      : []),
    '',
  ];
}
