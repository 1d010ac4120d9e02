/**
 * Measures every full-size zoo model: file size and build (stream-to-file) time, then in a separate, fresh Node
 * process (plain onnxruntime-node, no tsx, so its RSS is the model's and not the tooling's): session load time,
 * latency at 1 intra-op thread (median and min wall time of --runs after one warm-up run, and median CPU time per run,
 * which a loaded shared machine inflates less than wall time), and peak RSS (maxRSS of that process).
 * Models are written one at a time to --dir (default /tmp/zoo) and, unless --keep, deleted after measuring.
 *
 *   node --import tsx bench/zoo-run.ts [--models vgg16,resnet50] [--runs 5] [--dir /tmp/zoo] [--keep] [--tiny] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildGraph, idUpperBound, resolveInputShapes } from '../src/graph/index.js';
import { writeZooModel, zooNet, ZOO_NAMES } from '../src/zoo/index.js';

const { values: a } = parseArgs({
  options: {
    models: { type: 'string' }, runs: { type: 'string', default: '5' }, dir: { type: 'string', default: '/tmp/zoo' },
    keep: { type: 'boolean', default: false }, tiny: { type: 'boolean', default: false }, json: { type: 'string' },
  },
});
const names = a.models ? a.models.split(',') : [...ZOO_NAMES];
const runs = Number(a.runs);
mkdirSync(a.dir!, { recursive: true });

interface FeedSpec { name: string; dtype: string; dims: number[]; bound?: number; ones?: boolean }

// The measuring child: loads the model, runs it 1 + runs times, reports JSON on stdout.
const CHILD = `
import * as ort from 'onnxruntime-node';
const [file, specJson, runsArg] = process.argv.slice(1);
const specs = JSON.parse(specJson);
let s = 12345;
const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
const feeds = {};
for (const f of specs) {
  const n = f.dims.reduce((a, d) => a * d, 1);
  feeds[f.name] = f.dtype === 'int64'
    ? new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(f.ones ? 1 : Math.floor(rnd() * (f.bound ?? 2)))), f.dims)
    : new ort.Tensor('float32', Float32Array.from({ length: n }, () => rnd() * 2 - 1), f.dims);
}
const rssBefore = process.resourceUsage().maxRSS;
let t = performance.now();
const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
const loadMs = performance.now() - t;
const rssLoaded = process.resourceUsage().maxRSS;
t = performance.now();
let out = await session.run(feeds);
const firstMs = performance.now() - t;
const times = [];
const cpu = [];
for (let i = 0; i < Number(runsArg); i++) {
  const c = process.cpuUsage();
  t = performance.now();
  out = await session.run(feeds);
  times.push(performance.now() - t);
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1000);
}
times.sort((x, y) => x - y);
cpu.sort((x, y) => x - y);
const stats = {};
for (const [k, v] of Object.entries(out)) {
  let sq = 0, bad = 0;
  for (const x of v.data) { if (!Number.isFinite(x)) bad++; else sq += x * x; }
  stats[k] = { dims: v.dims, rms: Math.sqrt(sq / v.data.length), nonFinite: bad };
}
process.stdout.write(JSON.stringify({ loadMs, firstMs, medianMs: times[Math.floor(times.length / 2)], minMs: times[0], cpuMedianMs: cpu[Math.floor(cpu.length / 2)],
  baseRssMB: rssBefore / 1024, loadedRssMB: rssLoaded / 1024, peakRssMB: process.resourceUsage().maxRSS / 1024, outputs: stats }));
`;

function feedSpecs(name: string): FeedSpec[] {
  const g = buildGraph(zooNet(name, a.tiny).skeleton());
  const shapes = resolveInputShapes(g); // a full-size model's symbolic batch runs at 1
  return g.inputs.map((i) => {
    const t = g.tensors.get(i)!;
    return { name: i, dtype: t.dtype!, dims: shapes[i]!, bound: idUpperBound(g, i), ones: /mask/i.test(i) };
  });
}

const rows: Record<string, unknown>[] = [];
for (const name of names) {
  const file = join(a.dir!, `${name}${a.tiny ? '-tiny' : ''}.onnx`);
  const built = writeZooModel(name, file, { tiny: a.tiny });
  const buildRssMB = process.resourceUsage().maxRSS / 1024;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, file, JSON.stringify(feedSpecs(name)), String(runs)],
    // Telemetry off as in every process mopar runs (src/graph/ort-env.ts).
    { cwd: process.cwd(), encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, ORT_DISABLE_TELEMETRY: process.env.ORT_DISABLE_TELEMETRY ?? '1' } });
  if (child.status !== 0) throw new Error(`${name}: measuring process failed: ${child.stderr}`);
  const m = JSON.parse(child.stdout);
  const row = { name, params: built.params, fileMB: statSync(file).size / 2 ** 20, buildMs: built.ms, buildProcRssMB: buildRssMB, ...m };
  rows.push(row);
  const outs = Object.entries(m.outputs as Record<string, { dims: number[]; rms: number; nonFinite: number }>)
    .map(([k, o]) => `${k}[${o.dims}] rms ${o.rms.toPrecision(3)}${o.nonFinite ? ` NON-FINITE ${o.nonFinite}` : ''}`).join('; ');
  process.stderr.write(`${name.padEnd(16)} ${(row.fileMB).toFixed(1).padStart(7)} MiB  build ${(built.ms / 1000).toFixed(2).padStart(5)} s  ` +
    `load ${m.loadMs.toFixed(0).padStart(5)} ms  median ${m.medianMs.toFixed(1).padStart(7)} ms (min ${m.minMs.toFixed(1)}, cpu ${m.cpuMedianMs.toFixed(1)})  peak RSS ${m.peakRssMB.toFixed(0).padStart(5)} MB  ${outs}\n`);
  if (!a.keep) rmSync(file);
}
if (a.json) writeFileSync(a.json, `${JSON.stringify({ runs, threads: 1, loadAverage: (await import('node:os')).loadavg(), rows }, null, 2)}\n`);
