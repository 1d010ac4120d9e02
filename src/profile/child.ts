/**
 * Measurements in a separate, plain process (Node + onnxruntime-node, nothing else loaded — what a function host
 * is): baseline RSS, peak RSS while loading and running the model, and run times, optionally inside a cgroup
 * with a CPU quota. The child is a small ES module passed with `-e`, so it needs no build step and no tsx.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnInCgroup, MoparError, leanMallocEnv, type Cgroup } from '../core/index.js';
import { CodecError, packTensors, typedArraysSource } from '../codec/index.js';
import { nestSessionConfig, workerAffinity, SERVED_SESSION_CONFIG, type Feeds } from '../graph/index.js';
import type { StopRule } from './stability.js';

export interface ChildResult {
  /** VmHWM after importing onnxruntime-node, before any model (MB). */
  baselineMB: number;
  /** VmHWM after creating the session (MB): the load-time peak. */
  loadPeakMB: number;
  /** VmHWM after the runs (MB): the process's peak. */
  peakMB: number;
  /** VmRSS after the runs (MB): the steady footprint. */
  steadyMB: number;
  loadMs: number;
  runMs: number[];
  /** CPU time of each timed run (user + system, all threads), ms. */
  cpuMs?: number[];
  /** With `pairThreads`: the second session's run times, taken in alternation with `runMs`. */
  pairRunMs?: number[];
  /** With `stop`: whether the spread came within its bound before the limit. */
  converged?: boolean;
}

/**
 * glibc's malloc raises its mmap threshold each time a large block is freed, so after loading the weights later
 * large allocations come from the heap, fragment it and are never returned: peak RSS of the same model varies
 * run to run (mixer-b16: 335 or 510 MB) and is higher. A fixed threshold turns that off: large blocks are always
 * mmapped and returned on free, and peak RSS becomes deterministic and lower (mixer-b16 323 MB, resnet50 291 vs
 * 338 MB). The profiler measures function hosts under this setting; the runtime should start hosts with it too.
 */
export { LEAN_MALLOC_ENV } from '../core/index.js';

export interface ChildOptions {
  /** Extra environment for the child (e.g. LEAN_MALLOC_ENV). */
  env?: Record<string, string>;
  threads: number;
  runs: number;
  warmup: number;
  cgroup?: Cgroup;
  timeoutMs?: number;
  /** Extra onnxruntime session config entries, flat ('session.disable_prepacking': '1'). Default: none (ort's defaults). */
  sessionConfig?: Record<string, string>;
  /** Time until the spread settles (profile/stability.ts; `runs` is then ignored). */
  stop?: StopRule;
  /** Pin each session's intra-op workers as hosts do (graph/runner.ts workerAffinity). */
  pinWorkers?: boolean;
  /**
   * A second session of the same model at this many threads, run in alternation with the first (its times in
   * `pairRunMs`; with `stop`, until both spreads settle): the ratio of the two is taken side by side, so the
   * machine's speed drifting between two separate measurements does not enter it.
   */
  pairThreads?: number;
}

const SCRIPT = String.raw`
import { readFileSync } from 'node:fs';
const [ortUrl, modelPath, dir, threads, warmup, runs, extraJson, stopJson, pairThreads, pinsJson] = process.argv.slice(1);
const pins = JSON.parse(pinsJson);
const stop = JSON.parse(stopJson);
// profile/stability.ts spreadOf and stopReason, restated: this script is passed as text.
const spreadOf = (samples) => {
  if (samples.length < 2) return Infinity;
  const xs = [...samples].sort((a, b) => a - b);
  const q = (p) => { const i = p * (xs.length - 1); const lo = Math.floor(i); return xs[lo] + (xs[Math.min(lo + 1, xs.length - 1)] - xs[lo]) * (i - lo); };
  const mid = q(0.5);
  return mid > 0 ? (q(0.9) - q(0.1)) / mid : Infinity;
};
const stopReason = (samples) => {
  if (samples.length < stop.minRuns) return undefined;
  if (spreadOf(samples) <= stop.bound) return 'converged';
  if (samples.length >= stop.maxRuns || samples.reduce((a, b) => a + b, 0) >= stop.maxMs) return 'limit';
  return undefined;
};
const mem = () => {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number((s.match(new RegExp(k + ':\\s+(\\d+)')) ?? [0, 0])[1]);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
};
const ort = await import(ortUrl);
const baselineMB = mem().hwm;
const spec = JSON.parse(readFileSync(dir + '/feeds.json', 'utf8'));
const bin = readFileSync(dir + '/feeds.bin');
const T = ${typedArraysSource()};
const feeds = {};
for (const f of spec) {
  const C = T[f.dtype];
  const data = new C(bin.buffer.slice(bin.byteOffset + f.offset, bin.byteOffset + f.offset + f.length));
  feeds[f.name] = new ort.Tensor(f.dtype, data, f.shape);
}
const pinned = (extra, pin) => (pin ? { ...extra, session: { ...(extra.session ?? {}), intra_op_thread_affinities: pin } } : extra);
const t0 = performance.now();
const open = (n) => ort.InferenceSession.create(modelPath, { intraOpNumThreads: n, interOpNumThreads: 1,
  executionMode: 'sequential', graphOptimizationLevel: 'all', enableCpuMemArena: true, enableMemPattern: true, logSeverityLevel: 3,
  extra: pinned(JSON.parse(extraJson), pins[n]) });
const s = await open(Number(threads));
const loadMs = performance.now() - t0;
const loadPeakMB = mem().hwm;
const pair = Number(pairThreads) > 0 ? await open(Number(pairThreads)) : undefined;
const runMs = [];
const cpuMs = [];
const pairRunMs = [];
const timed = async (session, into) => { const t = performance.now(); await session.run(feeds); into.push(performance.now() - t); };
for (let i = 0; i < Number(warmup); i++) { await s.run(feeds); if (pair) await pair.run(feeds); }
let reason;
// With a pair: converged once both spreads are, at the limit once either is.
const settled = () => {
  const a = stopReason(runMs);
  if (!pair) return a;
  const b = stopReason(pairRunMs);
  if (a === 'limit' || b === 'limit') return 'limit';
  return a && b ? 'converged' : undefined;
};
for (let i = 0; stop ? !(reason = settled()) : i < Number(runs); i++) {
  // The pair's order alternates: neither session always runs right after the other.
  if (pair && i % 2 === 1) await timed(pair, pairRunMs);
  const c = process.cpuUsage();
  await timed(s, runMs);
  const d = process.cpuUsage(c);
  cpuMs.push((d.user + d.system) / 1000);
  if (pair && i % 2 === 0) await timed(pair, pairRunMs);
}
const m = mem();
process.stdout.write(JSON.stringify({ baselineMB, loadPeakMB, peakMB: m.hwm, steadyMB: m.rss, loadMs, runMs, cpuMs,
  ...(pair ? { pairRunMs } : {}), ...(stop ? { converged: reason === 'converged' } : {}) }));
`;

/** measureInChild set up as a function host runs a slice: its malloc setting and the served session config. */
export function measureAsHost(modelPath: string, feeds: Feeds, opts: Omit<ChildOptions, 'env' | 'sessionConfig'>): Promise<ChildResult> {
  return measureInChild(modelPath, feeds, { ...opts, env: leanMallocEnv(), sessionConfig: { ...SERVED_SESSION_CONFIG }, pinWorkers: true });
}

/** Affinity per thread count of the child's sessions, where `pinWorkers` asks for it. */
function pinsFor(opts: ChildOptions): Record<number, string> {
  const out: Record<number, string> = {};
  if (!opts.pinWorkers) return out;
  for (const n of [opts.threads, opts.pairThreads ?? 0]) { const a = workerAffinity(n); if (a) out[n] = a; }
  return out;
}

/** Loads and runs `modelPath` in a fresh process (inside `cgroup` when given) and reports memory and times. */
export async function measureInChild(modelPath: string, feeds: Feeds, opts: ChildOptions): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-child-'));
  try {
    writeFeeds(dir, feeds);
    const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
    const args = ['--input-type=module', '-e', SCRIPT, ortUrl, modelPath, dir, String(opts.threads), String(opts.warmup), String(opts.runs), JSON.stringify(nestSessionConfig(opts.sessionConfig ?? {})), JSON.stringify(opts.stop ?? null), String(opts.pairThreads ?? 0), JSON.stringify(pinsFor(opts))];
    const spawnOpts = { stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } };
    const child = opts.cgroup
      ? spawnInCgroup(opts.cgroup, process.execPath, args, spawnOpts)
      : spawn(process.execPath, args, spawnOpts);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { err += d; });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (timer) clearTimeout(timer);
    if (code !== 0) {
      throw new MoparError(`measurement process failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
    }
    return JSON.parse(out) as ChildResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The codec's tensor entries (feeds.json) and their bytes, 8-byte aligned (feeds.bin). */
function writeFeeds(dir: string, feeds: Feeds): void {
  let packed: ReturnType<typeof packTensors>;
  try {
    packed = packTensors(feeds, 8);
  } catch (err) {
    if (err instanceof CodecError) throw new MoparError(`an input cannot be passed to the measurement process: ${err.message}`);
    throw err;
  }
  writeFileSync(join(dir, 'feeds.json'), JSON.stringify(packed.entries));
  writeFileSync(join(dir, 'feeds.bin'), Buffer.concat(packed.parts));
}
