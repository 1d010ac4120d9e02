/**
 * Does a function that idles between its runs get the speed-up of the threads it was planned with? A function of a
 * chain never runs back to back: it waits while the rest of the chain runs. The profiler times thread counts with
 * runs back to back. This bench runs each function of a built partition in this process at 1 and at 2 intra-op
 * threads (the served session options), each timed run preceded by an idle gap, 1 and 2 threads alternating, and
 * prints the p50s and the 2-thread speed-up per gap. Measured on this project's 2-core VM (2026-12-08, load < 1):
 * DeiT-S/16's single-layer slices (3.6–6.3 ms at one thread) sped up 1.4–1.8× with gaps of 0–3 ms and 0.97–1.15×
 * after 6 ms or more idle; VGG-16's 224×224 convolutions (33–37 ms) kept 1.8–1.95× after 20 ms idle while its
 * s19 (512 channels at 28×28, 33 ms) fell from 1.96× to 1.01×; a 20 ms run of five DeiT layers in one model and the
 * 100 ms whole model kept theirs. The cause was not idleness: the scheduler woke onnxruntime's worker onto the
 * CPU of the thread that woke it and the two took turns there (run-queue waits in each thread's
 * /proc/self/task/TID/schedstat). Served sessions now pin their workers (graph/runner.ts workerAffinity,
 * 2026-12-08) and so do this bench's, so it checks that a 2-thread function keeps its speed-up whatever ran before
 * it: pinned, the DeiT MLP slice read 1.80× / 1.77× at gaps of 0 / 20 ms, its attention slice 1.01× / 1.59× (one
 * run, load 1.4: not every run is rescued).
 *
 * Run: node --import tsx bench/idle-threads.ts DIR [--fns s05,s06] [--gaps 0,3,6,20,50] [--runs 30]
 * DIR is a partition directory (mopar partition … -o DIR); default functions: the 4 with the most planned compute.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../src/core/index.js';
import { openModel, openSession, randomInputs, runSession, servedSessionConfig } from '../src/graph/index.js';
import { loadManifest } from '../src/partition/index.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: { fns: { type: 'string' }, gaps: { type: 'string', default: '0,3,6,20,50' }, runs: { type: 'string', default: '30' } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: node --import tsx bench/idle-threads.ts DIR [--fns s05,s06] [--gaps 0,3,6,20,50] [--runs 30]');
  process.exit(2);
}
const { manifest } = loadManifest(dir);
const byCompute = [...manifest.functions].sort((x, y) => (y.predictedMs ?? 0) - (x.predictedMs ?? 0));
const chosen = a.fns ? manifest.functions.filter((f) => a.fns!.split(',').includes(f.name)) : byCompute.slice(0, 4);
const gaps = a.gaps.split(',').map(Number);
const runs = Math.max(3, Number(a.runs));
const f2 = (x: number) => x.toFixed(2).padStart(7);

console.log(`cpu: ${cpus()[0]?.model ?? '?'} (${cpus().length} cores); load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('function  gap ms   1 thread  2 threads  speed-up');
for (const f of chosen) {
  const file = join(dir, f.file);
  const { graph, inputShapes } = await openModel(file);
  const feeds = randomInputs(graph, inputShapes, 1);
  const sessions = [await openSession(file, { threads: 1, config: servedSessionConfig(1) }), await openSession(file, { threads: 2, config: servedSessionConfig(2) })];
  for (const s of sessions) for (let i = 0; i < 3; i++) await runSession(s, feeds);
  for (const gap of gaps) {
    const ms: [number[], number[]] = [[], []];
    for (let r = 0; r < runs; r++) {
      for (const k of r % 2 ? [1, 0] : [0, 1]) {
        if (gap > 0) await sleep(gap);
        const t = performance.now();
        await runSession(sessions[k]!, feeds);
        ms[k]!.push(performance.now() - t);
      }
    }
    const [t1, t2] = [median(ms[0]), median(ms[1])];
    console.log(`${f.name.padEnd(8)} ${String(gap).padStart(7)} ${f2(t1)}    ${f2(t2)}   ${f2(t1 / t2)}`);
  }
  for (const s of sessions) await s.release();
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
