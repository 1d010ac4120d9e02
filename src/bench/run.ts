/**
 * `mopar bench`: for each model × platform × strategy, build, verify, serve on the embedded runtime and measure.
 * Resumable: finished cells are kept under OUT/cells and skipped unless `fresh`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import cliProgress from 'cli-progress';
import { MoparError, log, cgroupsAvailable, settleLoad } from '../core/index.js';
import { ZOO_NAMES, zooModels, writeZooModel } from '../zoo/index.js';
import type { Graph } from '../graph/index.js';
import { saveProfile, type Profile } from '../profile/index.js';
import { DEFAULT_PROFILE_RUNS, modelProfile, type ProfiledModel } from '../partition/index.js';
import { getPlatform, planPartition, parseStrategy, PLATFORMS, profileDoubt } from '../plan/index.js';
import { runCell } from './cell.js';
import { measureServedOverhead } from './invocation-overhead.js';
import { noiseFloor, summarize } from './summary.js';
import { writeReport } from './report.js';
import type { Timeline } from './charts.js';
import type { BenchReport, BenchRow } from './types.js';

export interface BenchOptions {
  out: string;
  /** Model names; `NAME:tiny` for a tiny variant. */
  models?: string[];
  platforms?: string[];
  strategies?: string[];
  quick?: boolean;
  fresh?: boolean;
  warmRequests?: number;
  coldRequests?: number;
}

export const DEFAULT_STRATEGIES = ['unsplit', 'mopar', 'uniform:3', 'layerwise', 'gillis', 'amps'];
/** --quick: every tiny model plus one full-size CNN, efficient CNN and transformer. */
export const QUICK_MODELS = [...ZOO_NAMES.map((n) => `${n}:tiny`), 'resnet50', 'mobilenetv2', 'deit-s16'];
export const QUICK_PLATFORMS = ['aws-lambda', 'gcp-cloud-run'];

export interface ModelRef { name: string; tiny: boolean; key: string }

export function parseModels(list: string[]): ModelRef[] {
  return list.map((s) => {
    const [name, variant] = s.split(':');
    if (!ZOO_NAMES.includes(name!)) throw new MoparError(`unknown bench model '${name}' (zoo models: ${ZOO_NAMES.join(', ')})`);
    if (variant !== undefined && variant !== 'tiny') throw new MoparError(`bench model '${s}': only the ':tiny' variant exists`);
    return { name: name!, tiny: variant === 'tiny', key: `${name}${variant ? '-tiny' : ''}` };
  });
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const models = parseModels(opts.models ?? (opts.quick ? QUICK_MODELS : [...ZOO_NAMES]));
  const platforms = opts.platforms ?? (opts.quick ? QUICK_PLATFORMS : PLATFORMS.map((p) => p.id));
  const strategies = opts.strategies ?? DEFAULT_STRATEGIES;
  for (const p of platforms) getPlatform(p);
  for (const s of strategies) parseStrategy(s);
  const warm = opts.warmRequests ?? (opts.quick ? 8 : 20);
  const coldN = opts.coldRequests ?? 1;
  const out = opts.out;
  if (opts.fresh) rmSync(join(out, 'cells'), { recursive: true, force: true });
  for (const d of ['models', 'profiles', 'cells', 'work']) mkdirSync(join(out, d), { recursive: true });
  const startedAt = new Date().toISOString();
  const total = models.length * platforms.length * strategies.length;
  log(`mopar bench: ${models.length} models × ${platforms.length} platforms × ${strategies.length} strategies = ${total} cells` +
    `${opts.quick ? '' : ' (a full run takes hours on 2 cores; use --quick for a ~10 minute smoke run)'}`);
  const bar = new cliProgress.SingleBar({
    format: 'bench [{bar}] {value}/{total} cells | {model} | ETA {eta_formatted}', stream: process.stderr, etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  const showBar = process.stderr.isTTY && !process.env.MOPAR_QUIET;
  if (showBar) bar.start(total, 0, { model: '' });
  const rows: BenchRow[] = [];
  const timelines: Timeline[] = [];
  let done = 0;
  const category = new Map(zooModels().map((m) => [m.name, m.category as string]));
  for (const m of models) {
    if (showBar) bar.update(done, { model: `${m.key}: preparing` });
    const modelPath = join(out, 'models', `${m.key}.onnx`);
    if (!existsSync(modelPath)) writeZooModel(m.name, modelPath, { tiny: m.tiny });
    const { profile, graph } = await benchProfile(modelPath, join(out, 'profiles', `${m.key}.json`), m.tiny);
    // Draw the boundaries of the platform where mopar cut the most (on Lambda it usually keeps one function).
    const candidates = platforms.map((p) => timelineOf(m.key, profile, p, graph));
    timelines.push(candidates.reduce((a, b) => (b.cuts.length > a.cuts.length ? b : a)));
    for (const platform of platforms) {
      // One SLO for every strategy: the unsplit function's own predicted latency, so that "cheaper" never means
      // "slower than what it replaces" (the default SLO, 1 vCPU, is looser where unsplit is cheapest at 2 vCPU).
      const sloMs = planPartition(profile, { platform, strategy: 'unsplit', allowSloMiss: true, graph }).predicted.latencyMs;
      for (const strategy of strategies) {
        const key = `${m.key}__${platform}__${strategy.replace(':', '')}`;
        const cellFile = join(out, 'cells', `${key}.json`);
        let row: BenchRow;
        if (existsSync(cellFile)) {
          row = JSON.parse(readFileSync(cellFile, 'utf8')) as BenchRow;
          row.measuredAt ??= statSync(cellFile).mtime.toISOString();
        } else {
          if (showBar) bar.update(done, { model: `${m.key} ${platform} ${strategy}` });
          else log(`bench: ${key}`);
          row = await runCell({
            model: m.key, category: category.get(m.name) ?? '', tiny: m.tiny, modelPath, profile, platform, strategy,
            workDir: join(out, 'work'), warmRequests: warm, coldRequests: coldN, verifyRuns: 2, graph, sloMs,
          });
          row.measuredAt = new Date().toISOString();
          writeFileSync(cellFile, JSON.stringify(row, null, 2));
        }
        if (row.error) log(`bench: ${key} failed: ${row.error}`);
        rows.push(row);
        done++;
        if (showBar) bar.update(done);
      }
    }
  }
  if (showBar) bar.stop();
  // The measurement window is that of the cells (a resumed run only re-reads most of them).
  const times = rows.map((r) => r.measuredAt).filter((t): t is string => !!t).sort();
  const report: BenchReport = {
    kind: 'mopar.bench', version: 1, startedAt: times[0] ?? startedAt, finishedAt: times[times.length - 1] ?? new Date().toISOString(),
    machine: machineInfo(),
    config: { models: models.map((m) => m.key), platforms, strategies, quick: !!opts.quick, warmRequests: warm, coldRequests: coldN },
    summary: summarize(rows),
    noise: noiseFloor(rows),
    rows,
  };
  await writeReport(out, report, timelines);
  return report;
}

/** The machine a report was measured on. */
export function machineInfo(): BenchReport['machine'] {
  const require = createRequire(import.meta.url);
  return {
    cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node, onnxruntime: (require('onnxruntime-node/package.json') as { version: string }).version,
    cgroups: cgroupsAvailable().cpu && cgroupsAvailable().memory,
  };
}

/** A bench model's profile, cached in `file` (re-measured when missing or stale), and its graph. */
export async function benchProfile(modelPath: string, file: string, tiny: boolean): Promise<ProfiledModel> {
  // Full-size models get more timed runs than the default: their cells are compared against measurements.
  const profileOnce = () => modelProfile(modelPath, { profileFile: { path: file, mode: 'cache' }, profiling: {
    runs: tiny ? DEFAULT_PROFILE_RUNS : 2 * DEFAULT_PROFILE_RUNS,
    // Served cells pay the served-call overhead: plan with it measured, as the CLI does (issue 27).
    measureOverhead: (sizes) => measureServedOverhead(sizes),
  } });
  if (tiny || existsSync(file)) return profileOnce();
  // Every plan of the model rests on this profile: take it after the previous model's instances and cold starts
  // have left the load average, and once more when it still came out loaded or unsettled (the 2026-12-07 sweep
  // profiled ResNet-50 at load 3.6 with a spread of 80 %, and its 2-thread point 2.3× faster than its 1-thread run).
  await settleLoad(PROFILE_SETTLE_MS);
  const first = await profileOnce();
  if (!doubtful(first.profile)) return first;
  log(`bench: profile of ${first.profile.model} ${first.profile.load?.loaded ? 'taken loaded' : 'did not settle'}; waiting for a quieter machine and profiling again`);
  rmSync(file, { force: true });
  await settleLoad(PROFILE_SETTLE_MS);
  const second = await profileOnce();
  if (!doubtful(second.profile) || (second.profile.spread ?? Infinity) <= (first.profile.spread ?? Infinity)) return second;
  saveProfile(first.profile, file);
  return first;
}

const PROFILE_SETTLE_MS = 90_000;

/** A profile taken loaded or whose timings did not settle: what a plan warns of (plan's profileDoubt). */
const doubtful = (p: Profile): boolean => profileDoubt(p) !== undefined;

function timelineOf(model: string, profile: Profile, platform: string, graph: Graph): Timeline {
  const index = new Map(profile.nodes.map((n, i) => [n.name, i]));
  let cuts: number[] = [];
  try {
    const plan = planPartition(profile, { platform, strategy: 'mopar', allowSloMiss: true, graph });
    const groups = new Map<string, number>();
    for (const f of plan.functions) groups.set(f.group, Math.max(groups.get(f.group) ?? 0, ...f.nodes.map((n) => index.get(n) ?? 0)));
    cuts = [...groups.values()].sort((a, b) => a - b).slice(0, -1);
  } catch { /* no plan: no boundaries drawn */ }
  return { model, timelineMB: profile.memory.timelineMB.map((mb) => mb + profile.memory.weightsMB), cuts };
}
