/**
 * Per-item time vs batch size, per zoo model and intra-op thread count (issue 14: "report the measured per-item
 * time vs batch size per model and thread count"), and the Cloud Run 100 ms-rounding arithmetic that follows
 * from it, so the issue's Cloud Run targets (≥ 3× cheaper than one request per invocation for models under 35 ms
 * per request at 1 vCPU, ≥ 1.5× under 100 ms) are checked from measured figures.
 *
 * Measurement: the profiler's batch code (profile/batch.ts, measureBatchProfile: whole-model p50 per batch size
 * and thread count, one session per thread count, warm-up run first) on zoo models built with a dynamic batch
 * dim. Models are taken in the order given (small first by default); before each, a batch-1 probe projects its
 * full cost, and a model that would not finish within the time budget is skipped and named in the report.
 *
 * Cloud Run arithmetic (request-based billing: instance time rounded up to 100 ms, price from the platform record
 * gcp-cloud-run): one request per invocation costs roundUp100(t(1)) × (vCPU price + memory price) + fee; a batch
 * of b costs roundUp100(t(b)) × the same, shared by b requests, + b fees (Cloud Run counts every HTTP request: the
 * batching entry receives each one). Time a request waits for its batch is not counted: at low load it is billed
 * too where the batcher sits inside the service (see the report's notes).
 *
 * Run (quiet machine, ≤ 8 min on 2 idle cores):
 *   node --import tsx bench/batch-timings.ts                        # default model list, 420 s budget
 *   node --import tsx bench/batch-timings.ts --tiny --out /tmp/bt   # machinery check (tiny variants)
 * Options: --models a,b  --sizes 1,2,4,8,16  --runs N (3)  --budget-s S (420)  --out DIR (docs/results).
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openModel } from '../src/graph/index.js';
import { measureBatchProfile, type BatchProfile } from '../src/profile/index.js';
import { billedMs, getPlatform, usdPerSecond } from '../src/plan/index.js';
import { writeZooModel } from '../src/zoo/index.js';

const { values: a } = parseArgs({
  options: {
    models: { type: 'string' }, tiny: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '1,2,4,8,16' }, runs: { type: 'string', default: '3' },
    'budget-s': { type: 'string', default: '420' }, out: { type: 'string', default: 'docs/results' },
  },
});
// Smallest first, so that a tight budget still covers the models under 35 and 100 ms.
const DEFAULT_MODELS = ['mobilenetv2', 'efficientnet-b0', 'dlrm', 'deit-s16', 'resnet50', 'densenet121', 'convnext-tiny', 'bert-base'];
const names = a.models ? a.models.split(',') : DEFAULT_MODELS;
const sizes = a.sizes!.split(',').map(Number);
if (sizes.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--sizes must be integers ≥ 1, got ${a.sizes}`);
const runs = Math.max(2, Number(a.runs));
const budgetMs = Number(a['budget-s']) * 1000;
const THREADS = [1, 2];

const cloudRun = getPlatform('gcp-cloud-run');
const GRANULARITY_MS = cloudRun.price.granularityMs;
const roundUp = (ms: number) => billedMs(ms, GRANULARITY_MS);

interface CostPoint { batch: number; usdPerMillion: number; vsUnbatched: number }
interface CostRow { vcpu: number; threads: number; memoryMB: number; unbatchedUsdPerMillion: number; points: CostPoint[]; best: CostPoint }
interface ModelRow {
  model: string; fileMB: number; profile: BatchProfile; ms1At1Thread: number;
  /** 'under35' | 'under100' | 'over100': the issue's classes, by measured batch-1 time at 1 thread (1 vCPU). */
  cls: 'under35' | 'under100' | 'over100';
  target?: number; met?: boolean;
  cost: CostRow[];
}

/** Memory configured for the function: weights twice (file + session) and a margin, at least 512 MiB, in 128 MiB steps. */
const memoryFor = (fileMB: number) => Math.max(512, Math.ceil((2 * fileMB + 256) / 128) * 128);

function costRow(p: BatchProfile, threads: number, vcpu: number, memoryMB: number): CostRow {
  const usdPerS = usdPerSecond(cloudRun, { memoryMB, vcpu });
  const fee = cloudRun.price.perRequest;
  const ms = (b: number) => p.points.find((x) => x.batch === b && x.threads === threads)!.ms;
  const unbatched = roundUp(ms(1)) / 1000 * usdPerS + fee;
  const points = p.sizes.map((b) => {
    const perRequest = (roundUp(ms(b)) / 1000 * usdPerS + b * fee) / b;
    return { batch: b, usdPerMillion: perRequest * 1e6, vsUnbatched: unbatched / perRequest };
  });
  const best = points.reduce((x, y) => (y.vsUnbatched > x.vsUnbatched ? y : x));
  return { vcpu, threads, memoryMB, unbatchedUsdPerMillion: unbatched * 1e6, points, best };
}

const started = new Date();
const load0 = loadavg()[0]!;
const t0 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'mopar-batch-timings-'));
const rows: ModelRow[] = [];
const skipped: { model: string; why: string }[] = [];
try {
  for (const name of names) {
    const left = budgetMs - (performance.now() - t0);
    const tm = performance.now();
    const file = join(dir, `${name}.onnx`);
    writeZooModel(name, file, { tiny: a.tiny, batch: 'dynamic' });
    const fileMB = statSync(file).size / 2 ** 20;
    const { graph, inputShapes } = await openModel(file, {}, { shapes: false });
    // Probe: batch 1 at 1 thread, to project this model's whole measurement (every size, both thread counts,
    // warm-up + runs each; 2 threads counted as fast as 1, the pessimistic case).
    const probe = await measureBatchProfile(file, graph, inputShapes, { sizes: [1], threads: [1], runs: 2, peakActivationMB: 0 });
    const ms1 = probe.points[0]!.ms;
    const projected = ms1 * sizes.reduce((s, b) => s + b, 0) * (runs + 1) * THREADS.length + (performance.now() - tm);
    if (projected > left) {
      skipped.push({ model: name, why: `projected ${(projected / 1000).toFixed(0)} s (batch 1: ${ms1.toFixed(1)} ms) > ${(left / 1000).toFixed(0)} s left of the budget` });
      console.log(`${name.padEnd(16)} skipped: ${skipped.at(-1)!.why}`);
      rmSync(file, { force: true });
      continue;
    }
    const profile = await measureBatchProfile(file, graph, inputShapes, { sizes, threads: THREADS, runs, peakActivationMB: 0 });
    const at = (b: number, t: number) => profile.points.find((x) => x.batch === b && x.threads === t)!.ms;
    const m1 = at(1, 1);
    const cls = m1 < 35 ? 'under35' : m1 < 100 ? 'under100' : 'over100';
    const target = cls === 'under35' ? 3 : cls === 'under100' ? 1.5 : undefined;
    const mem = memoryFor(fileMB);
    const cost = [costRow(profile, 1, 1, mem), costRow(profile, 2, 2, mem)];
    rows.push({ model: name, fileMB, profile, ms1At1Thread: m1, cls, target, met: target === undefined ? undefined : cost[0]!.best.vsUnbatched >= target, cost });
    console.log(`${name.padEnd(16)} ${profile.sizes.map((b) => `b${b} ${(at(b, 1) / b).toFixed(2)}/${(at(b, 2) / b).toFixed(2)}`).join('  ')} ms/item (1/2 threads); `
      + `Cloud Run best ${cost[0]!.best.vsUnbatched.toFixed(2)}× at b${cost[0]!.best.batch}  [${((performance.now() - tm) / 1000).toFixed(0)} s]`);
    rmSync(file, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg()[0]!;
const totalS = (performance.now() - t0) / 1000;
const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

const timingTables = rows.flatMap((r) => {
  const at = (b: number, t: number) => r.profile.points.find((x) => x.batch === b && x.threads === t)!.ms;
  return [
    `### ${r.model}${a.tiny ? ' (tiny)' : ''} (${r.fileMB.toFixed(1)} MB)`,
    '',
    '| batch | 1 thread ms/batch | 1 thread ms/item | per item vs batch 1 | 2 threads ms/batch | 2 threads ms/item | per item vs batch 1 | 2-thread speed-up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.profile.sizes.map((b) => `| ${b} | ${f2(at(b, 1))} | ${f2(at(b, 1) / b)} | ${f2((at(b, 1) / b) / at(1, 1))} | ${f2(at(b, 2))} | ${f2(at(b, 2) / b)} | ${f2((at(b, 2) / b) / at(1, 2))} | ${f2(at(b, 1) / at(b, 2))}× |`),
    '',
    ...r.profile.fits.map((f) => `Fit at ${f.threads} thread(s): latency(b) = ${f3(f.fixedMs)} + ${f3(f.perItemMs)} · b ms.`),
    '',
  ];
});

const costTable = [
  '| model | batch-1 ms at 1 vCPU | class | target | vCPU (threads) | memory MiB | one request per invocation, USD / 1M | ' + sizes.map((b) => `b=${b}`).join(' | ') + ' | best | met |',
  `|---|---:|---|---:|---|---:|---:|${sizes.map(() => '---:').join('|')}|---|:---:|`,
  ...rows.flatMap((r) => r.cost.map((c, i) => `| ${i === 0 ? r.model : ''} | ${i === 0 ? f2(r.ms1At1Thread) : ''} | ${i === 0 ? { under35: '< 35 ms', under100: '< 100 ms', over100: '≥ 100 ms' }[r.cls] : ''} | ${i === 0 && r.target ? `${r.target}×` : ''} | ${c.vcpu} (${c.threads}) | ${c.memoryMB} | ${f3(c.unbatchedUsdPerMillion)} | `
    + sizes.map((b) => { const p = c.points.find((x) => x.batch === b); return p ? `${f3(p.usdPerMillion)} (${f2(p.vsUnbatched)}×)` : '—'; }).join(' | ')
    + ` | ${f2(c.best.vsUnbatched)}× at b=${c.best.batch} | ${i === 0 && r.met !== undefined ? (r.met ? 'yes' : 'no') : ''} |`)),
];

const classified = rows.filter((r) => r.target !== undefined);
const md = [
  `# Per-item time vs batch size, and Cloud Run's 100 ms rounding${a.tiny ? ' (tiny variants: machinery check, not results)' : ''}`,
  '',
  `Measured ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load0.toFixed(2)} at start, `
  + `${load1.toFixed(2)} at end; ${totalS.toFixed(0)} s in all. Whole-model p50 over ${runs} runs per point after a warm-up run `
  + '(src/profile/batch.ts, the profiler\'s batch code), zoo models built with `--batch dynamic`, onnxruntime-node, '
  + `intra-op threads ${THREADS.join(' and ')}.`,
  `Command: \`node --import tsx bench/batch-timings.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
  load0 > cpus().length ? `\n**Warning:** load average ${load0.toFixed(1)} exceeds the ${cpus().length} cores: every time here is inflated, and the 2-thread figures most. Re-run on a quiet machine.` : '',
  '',
  `Models measured: ${rows.map((r) => r.model).join(', ') || 'none'}.${skipped.length ? ` Skipped (time budget ${a['budget-s']} s): ${skipped.map((s) => `${s.model} (${s.why})`).join('; ')}.` : ''}`,
  '',
  '## Cloud Run: cost per request at each batch size vs one request per invocation',
  '',
  `Request-based billing (${cloudRun.name}): $${cloudRun.price.perVcpuSecond}/vCPU-s, $${cloudRun.price.perGBSecond}/GiB-s, `
  + `$${(cloudRun.price.perRequest * 1e6).toFixed(2)} per million requests, instance time rounded up to ${GRANULARITY_MS} ms. `
  + 'Per request at batch b: (roundUp100(t(b)) × (vCPU + memory price) + b × fee) / b, with t(b) the measured batch time; '
  + 'one request per invocation: roundUp100(t(1)) × the same + fee. 1 vCPU runs 1 thread, 2 vCPU run 2 threads. '
  + 'The issue\'s targets (≥ 3× for models under 35 ms per request at 1 vCPU, ≥ 1.5× under 100 ms) are checked on the 1 vCPU row, at the best batch size measured.',
  '',
  ...costTable,
  '',
  `**Targets:** ${classified.length ? classified.map((r) => `${r.model} (${f2(r.ms1At1Thread)} ms): ${f2(r.cost[0]!.best.vsUnbatched)}× vs ${r.target}× ${r.met ? 'met' : 'missed'}`).join('; ') : 'no measured model is under 100 ms at 1 vCPU'}.`,
  '',
  'Notes. The ceiling of this saving is 100 ms / (per-item time): a 35 ms model cannot pass 2.86× however big the batch, because the '
  + 'batch still pays its compute. Wait time for a batch to form is not in these figures; where the batcher runs inside the Cloud Run '
  + 'service (as `mopar deploy --batching` generates it), the instance is billed while requests wait at low load, which eats into the '
  + 'saving; at rates that fill batches quickly it does not matter. The request fee stays per request here (every client request reaches '
  + 'the service).',
  '',
  '## Per-item time vs batch size',
  '',
  ...timingTables,
].join('\n');

mkdirSync(a.out!, { recursive: true });
writeFileSync(join(a.out!, 'batch-timings.md'), md);
writeFileSync(join(a.out!, 'batch-timings.json'), `${JSON.stringify({
  kind: 'mopar.batch-timings', date: started.toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, loadAverage: [load0, load1],
  seconds: totalS, runs, sizes, threads: THREADS, tiny: a.tiny, budgetS: Number(a['budget-s']), skipped,
  cloudRun: { platform: cloudRun.id, granularityMs: GRANULARITY_MS, price: cloudRun.price },
  models: rows.map((r) => ({ model: r.model, fileMB: r.fileMB, ms1At1Thread: r.ms1At1Thread, class: r.cls, target: r.target, met: r.met, points: r.profile.points, fits: r.profile.fits, cloudRun: r.cost })),
}, null, 2)}\n`);
console.log(`wrote ${join(a.out!, 'batch-timings.md')} (${totalS.toFixed(0)} s)`);
