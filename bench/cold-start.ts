/**
 * Cold-request latency per strategy: the first request after idle (every instance gone), with each function
 * fetching its weights at cold start from an S3-compatible store shaped to the platform's object-store latency
 * and per-stream bandwidth (serve --weights s3), next to the warm latency and the warm cost. Strategies: the
 * unsplit function, mopar's warm-cheapest plan, and mopar under a cold bound of half the unsplit function's
 * predicted cold latency (`--cold-slo-ms`, the issue's 2× target; its fastest cold plan when none meets it), all
 * at one warm SLO: --slo-factor (1.25) × the unsplit function's predicted latency, room for a split's hand-offs.
 *
 * Per strategy: a gateway with nothing started; one request (all cold); three warm ones (latency, billed cost);
 * then idle until the keep-warm has stopped every instance, and a request: the cold request after idle that the
 * report gives (median of --repeats). Answers are compared with the unsplit model run directly (allclose).
 *
 * Run: node --import tsx bench/cold-start.ts [--models vgg16,vit-b16] [--platform aws-lambda] [--tiny]
 *      [--repeats 2] [--keep-warm-s 2] [--slo-factor 1.25] [--out docs/results/cold-start]
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeZooModel } from '../src/zoo/index.js';
import { getPlatform, type Plan } from '../src/plan/index.js';
import { modelProfile, partitionModel } from '../src/partition/index.js';
import { openModel, openSession, randomInputs, runSession, type Feeds } from '../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, startLocalS3 } from '../src/runtime/index.js';
import { functionsBetween, measuredCost } from '../src/bench/index.js';
import { median, quantile, watchLoad } from '../src/core/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const models = opt('--models', 'vgg16,vit-b16').split(',').filter(Boolean);
// Room over the unsplit function's warm latency for the hand-offs of a split (the target is on cost, ≤ 1.10×).
const sloFactor = Number(opt('--slo-factor', '1.25'));
const platform = getPlatform(opt('--platform', 'aws-lambda'));
const tiny = process.argv.includes('--tiny');
const repeats = Number(opt('--repeats', '2'));
const keepWarmMs = Number(opt('--keep-warm-s', '2')) * 1000;
const outDir = opt('--out', 'docs/results/cold-start');
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

interface Phases { fn: string; totalMs: number; spawnMs: number; fetchMs: number; loadMs: number; fetchedMB: number }
interface Row {
  model: string; strategy: string; functions: number; groups: number; weightsMB: number;
  predicted: { warmMs: number; coldMs: number; coldReactiveMs: number; costPerMillionUSD: number };
  measured: { firstColdMs: number; coldAfterIdleMs: number[]; coldAfterIdleMedianMs: number; warmP50Ms: number; costPerMillionUSD: number; maxAbsErr: number; billedFrom: string };
  phases: Phases[];
  notes?: string[];
}

const started = performance.now();
const watch = watchLoad();
const loadBefore = loadavg()[0]!;
const rows: Row[] = [];
const work = mkdtempSync(join(tmpdir(), 'mopar-bench-cold-'));
process.env.MOPAR_CACHE_DIR = join(work, 'cache');
try {
  for (const name of models) {
    const modelPath = join(work, `${name}.onnx`);
    writeZooModel(name, modelPath, { tiny });
    log(`${name}${tiny ? ' (tiny)' : ''}: profiling`);
    const profiled = await modelProfile(modelPath, { profiling: { runs: 3, cpuScaling: false, measureRss: false } });
    const { graph, inputShapes } = await openModel(modelPath);
    const feeds = randomInputs(graph, inputShapes, 7);
    const ref = await (async () => { const s = await openSession(modelPath); try { return await runSession(s, feeds); } finally { await s.release(); } })();
    const base = await partitionModel(modelPath, { profiled, plan: { platform: platform.id, strategy: 'unsplit', allowSloMiss: true } });
    const unsplitCold = base.plan.predicted.coldLatencyMs!;
    const sloMs = base.plan.sloMs * sloFactor;
    const strategies: Array<{ label: string; plan: Record<string, unknown> }> = [
      { label: 'unsplit', plan: { strategy: 'unsplit' } },
      { label: 'mopar', plan: { strategy: 'mopar' } },
      { label: 'mopar --cold-slo-ms', plan: { strategy: 'mopar', coldSloMs: Math.round(unsplitCold / 2) } },
    ];
    for (const s of strategies) {
      const dir = join(work, `${name}-${rows.length}`);
      const { plan } = await partitionModel(modelPath, { profiled, plan: { platform: platform.id, sloMs, allowSloMiss: true, ...s.plan }, outDir: dir });
      log(`${name} ${s.label}: ${plan.functions.length} function(s); predicted warm ${plan.predicted.latencyMs.toFixed(0)} ms, cold ${plan.predicted.coldLatencyMs!.toFixed(0)} ms`);
      rows.push(await measure(name, s.label, dir, plan, feeds, ref));
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  delete process.env.MOPAR_CACHE_DIR;
  rmSync(work, { recursive: true, force: true });
}

async function measure(model: string, label: string, dir: string, plan: Plan, feeds: Feeds, ref: Feeds): Promise<Row> {
  const store = await startLocalS3({ latencyMs: platform.objectStore.latencyMs, bandwidthMBps: platform.objectStore.bandwidthMBps });
  const gw = new Gateway({
    ...DEFAULT_GATEWAY, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs },
    weights: { store: store.shaped, stage: store.direct, bucket: store.bucket },
  });
  try {
    const name = gw.addModel(dir, 'cell');
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const timed = async () => {
      const t0 = performance.now();
      const r = await infer(url, name, feeds);
      if (r.status !== 200) throw new Error(`${model} ${label}: HTTP ${r.status}`);
      return { ms: performance.now() - t0, outputs: r.outputs };
    };
    const first = await timed();
    let maxAbsErr = 0;
    for (const [k, want] of Object.entries(ref)) {
      const got = first.outputs[k]!.data as Float32Array;
      const w = want.data as Float32Array;
      for (let i = 0; i < w.length; i++) {
        const d = Math.abs(got[i]! - w[i]!);
        maxAbsErr = Math.max(maxAbsErr, d);
        if (d > 1e-3 + 1e-3 * Math.abs(w[i]!)) throw new Error(`${model} ${label}: output ${k}[${i}] = ${got[i]} vs ${w[i]} (unsplit)`);
      }
    }
    const before = gw.stats(name);
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) warm.push((await timed()).ms);
    const fns = functionsBetween(before, gw.stats(name));
    const coldAfterIdle: number[] = [];
    for (let r = 0; r < repeats; r++) {
      // Idle until the keep-warm has stopped every instance: the next request finds nothing running.
      const model = gw.models.get(name)!;
      const t0 = performance.now();
      while ([...model.pools.values()].some((p) => p.instances.length > 0)) {
        if (performance.now() - t0 > keepWarmMs + 60_000) throw new Error(`${label}: instances still up long after the keep-warm`);
        await new Promise((res) => setTimeout(res, 100));
      }
      coldAfterIdle.push((await timed()).ms);
    }
    const stats = gw.stats(name);
    const last = (xs: number[]) => xs[xs.length - 1] ?? NaN;
    // Parallel parts share this machine's cores, so their durations include waiting for each other; a platform
    // gives each instance its own CPU. As in bench cells: bill warm requests run one function at a time.
    const billed = plan.functions.some((f) => f.split)
      ? await billAlone(dir, feeds).catch((err: Error) => { log(`${model} ${label}: one-at-a-time billing failed (${err.message}); billed from the shared pass`); return fns; })
      : fns;
    return {
      model, strategy: label, functions: plan.functions.length, groups: new Set(plan.functions.map((f) => f.group)).size,
      weightsMB: +plan.functions.reduce((a, f) => a + (f.similarity?.paramMB ?? 0), 0).toFixed(1),
      predicted: { warmMs: plan.predicted.latencyMs, coldMs: plan.predicted.coldLatencyMs!, coldReactiveMs: plan.predicted.coldReactiveMs!, costPerMillionUSD: plan.predicted.costPerMillionUSD },
      measured: {
        firstColdMs: first.ms, coldAfterIdleMs: coldAfterIdle, coldAfterIdleMedianMs: median(coldAfterIdle),
        warmP50Ms: quantile(warm, 0.5), costPerMillionUSD: measuredCost(platform, billed), maxAbsErr,
        billedFrom: billed === fns ? 'shared' : 'one-at-a-time',
      },
      phases: stats.functions.map((f) => ({
        fn: f.name, totalMs: last(f.coldStartMs), spawnMs: last(f.spawnMs), fetchMs: last(f.fetchMs), loadMs: last(f.loadMs),
        fetchedMB: +(f.fetchedBytes / Math.max(1, f.coldStarts) / 2 ** 20).toFixed(1),
      })),
      ...(plan.notes?.length ? { notes: plan.notes } : {}),
    };
  } finally {
    await gw.close();
    await store.close();
  }
}

/** Warm requests with local weights, one function at a time: each function's billed duration on its own CPU. */
async function billAlone(dir: string, feeds: Feeds) {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true, oneAtATime: true });
  try {
    const name = gw.addModel(dir, 'alone');
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    await infer(url, name, feeds);
    const before = gw.stats(name);
    for (let i = 0; i < 3; i++) await infer(url, name, feeds);
    return functionsBetween(before, gw.stats(name));
  } finally {
    await gw.close();
  }
}

const load = watch.stop();
const seconds = (performance.now() - started) / 1000;
const report = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
  loadAverage: { before: loadBefore, after: loadavg()[0]!, highest: load.loadAvg }, loaded: load.loaded,
  platform: platform.id, shaping: { latencyMs: platform.objectStore.latencyMs, bandwidthMBps: platform.objectStore.bandwidthMBps },
  config: { weights: 's3', tiny, repeats, keepWarmMs, sloFactor }, seconds: +seconds.toFixed(1), rows,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'cold-start.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, 'cold-start.md'), markdown());
log(`wrote ${outDir}/cold-start.{json,md} in ${seconds.toFixed(0)} s`);

function markdown(): string {
  const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
  const lines = [
    '# Cold-request latency per strategy (weights fetched from a shaped S3-compatible store)',
    '',
    `${report.date} · ${report.cpu} × ${report.cores} · load average ${loadBefore.toFixed(2)} before, ${report.loadAverage.after.toFixed(2)} after, highest ${load.loadAvg.toFixed(2)}${load.loaded ? ' (**loaded**: timings inflated)' : ''} · ${seconds.toFixed(0)} s`,
    '',
    `Platform ${platform.id}: weights fetched at ${platform.objectStore.bandwidthMBps} MB/s per stream after ${platform.objectStore.latencyMs} ms first byte; `
      + `keep-warm ${keepWarmMs / 1000} s; cold after idle = median of ${repeats}; warm SLO ${sloFactor} × the unsplit function's predicted latency. `
      + 'Every instance of a plan starts when the request enters (proactive warm-up); on this machine they share its cores, on a platform each has its own. '
      + `Predicted figures are the planner's (docs/cold-starts.md, platform cold-start figures); `
      + 'measured ones are this machine\'s (process start and session load here, not the platform\'s sandbox). Compare ratios within one run.',
    '',
    '| model | strategy | functions | cold after idle ms | vs unsplit | first cold ms | warm p50 ms | warm $/1M (measured) | vs unsplit | predicted cold ms | vs unsplit | predicted warm ms | predicted $/1M vs unsplit |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const u = rows.find((x) => x.model === r.model && x.strategy === 'unsplit');
    const coldRatio = u ? u.measured.coldAfterIdleMedianMs / r.measured.coldAfterIdleMedianMs : NaN;
    const costRatio = u ? r.measured.costPerMillionUSD / u.measured.costPerMillionUSD : NaN;
    const pCold = u ? u.predicted.coldMs / r.predicted.coldMs : NaN;
    const pCost = u ? r.predicted.costPerMillionUSD / u.predicted.costPerMillionUSD : NaN;
    lines.push(`| ${r.model}${tiny ? ' (tiny)' : ''} | ${r.strategy} | ${r.functions}${r.groups !== r.functions ? ` in ${r.groups} groups` : ''} | ${f0(r.measured.coldAfterIdleMedianMs)} | ${coldRatio.toFixed(2)}× lower | ${f0(r.measured.firstColdMs)} | ${f0(r.measured.warmP50Ms)} | ${r.measured.costPerMillionUSD.toFixed(3)}${r.measured.billedFrom === 'one-at-a-time' ? '¹' : ''} | ${costRatio.toFixed(3)}× | ${f0(r.predicted.coldMs)} | ${pCold.toFixed(2)}× lower | ${f0(r.predicted.warmMs)} | ${pCost.toFixed(3)}× |`);
  }
  lines.push('', '¹ billed from a second pass that runs one function at a time (parallel parts share this machine\'s cores; a platform gives each its own).',
    '', 'Target (issue 16): cold ≥ 2× lower than unsplit at ≤ 1.10× its warm cost, on models ≥ 300 MB.', '', '## Cold-start phases of the last cold request (per function, ms)', '',
    '| model | strategy | function | total | spawn | fetch | load | fetched MB |', '|---|---|---|---|---|---|---|---|');
  for (const r of rows) for (const p of r.phases) lines.push(`| ${r.model} | ${r.strategy} | ${p.fn} | ${f0(p.totalMs)} | ${f0(p.spawnMs)} | ${f0(p.fetchMs)} | ${f0(p.loadMs)} | ${p.fetchedMB} |`);
  const notes = rows.filter((r) => r.notes?.length).map((r) => `- ${r.model} ${r.strategy}: ${r.notes!.join('; ')}`);
  if (notes.length) lines.push('', '## Planner notes', '', ...notes);
  lines.push('', `Reproduce: \`node --import tsx bench/cold-start.ts --models ${models.join(',')} --platform ${platform.id}${tiny ? ' --tiny' : ''} --repeats ${repeats} --keep-warm-s ${keepWarmMs / 1000} --slo-factor ${sloFactor}\``, '');
  return lines.join('\n');
}
