/**
 * Which zoo models scale poorly from one to two intra-op threads at batch 1 (issue 15 asks to name them: the
 * sweep's "SLOs only reachable with more than one core" target is about these). Per model: the whole-model p50 at
 * 1 and at 2 threads (profile/cpu-scaling-measure.ts, the measurement the profiler uses), repeated REPEATS times
 * alternating 1 and 2 threads so that drift on a shared machine hits both alike; the median of each is kept.
 * Efficiency = t1 / (2 · t2): 100 % = two threads halve the latency. Below 75 % is named a poor scaler.
 *
 * Run (quiet machine, ≤ 8 min on 2 idle cores):
 *   node --import tsx bench/thread-scaling.ts                      # all zoo models, full size
 *   node --import tsx bench/thread-scaling.ts --tiny --out /tmp/x  # machinery check (tiny variants)
 * Options: --models a,b  --repeats N (3)  --runs N (5, per point)  --out DIR (docs/results).
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../src/core/index.js';
import { openModel, randomInputs } from '../src/graph/index.js';
import { cpuScaling } from '../src/profile/index.js';
import { writeZooModel, ZOO_NAMES } from '../src/zoo/index.js';

const { values: a } = parseArgs({
  options: {
    models: { type: 'string' }, tiny: { type: 'boolean', default: false },
    repeats: { type: 'string', default: '3' }, runs: { type: 'string', default: '5' },
    out: { type: 'string', default: 'docs/results' },
  },
});
const POOR = 0.75;
const names = a.models ? a.models.split(',') : [...ZOO_NAMES];
const repeats = Math.max(1, Number(a.repeats));
const runs = Math.max(2, Number(a.runs));

interface Row { model: string; t1: number; t2: number; efficiency: number; spread: number }
const started = new Date();
const load0 = loadavg()[0]!;
const t0 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'mopar-threads-'));
const rows: Row[] = [];
try {
  for (const name of names) {
    const file = join(dir, `${name}.onnx`);
    writeZooModel(name, file, { tiny: a.tiny });
    const tm = performance.now();
    // Input ids only need the tables' shapes (initializers): no shape inference over a full-size graph.
    const { graph, inputShapes } = await openModel(file, {}, { shapes: false });
    const feeds = randomInputs(graph, inputShapes, 1);
    const t1: number[] = [];
    const t2: number[] = [];
    for (let r = 0; r < repeats; r++) {
      // Alternate which thread count goes first, so a warming cache or a load change favours neither.
      const order = r % 2 ? [2, 1] : [1, 2];
      for (const threads of order) {
        const [p] = await cpuScaling(file, feeds, { runs, quotas: [], threads: [threads] });
        (threads === 1 ? t1 : t2).push(p!.ms);
      }
    }
    const m1 = median(t1);
    const m2 = median(t2);
    // Spread of the per-repeat efficiencies: how much to trust the median on this machine.
    const effs = t1.map((x, i) => x / (2 * t2[i]!));
    const row = { model: name, t1: m1, t2: m2, efficiency: m1 / (2 * m2), spread: Math.max(...effs) - Math.min(...effs) };
    rows.push(row);
    console.log(`${name.padEnd(16)} 1 thread ${m1.toFixed(2)} ms  2 threads ${m2.toFixed(2)} ms  efficiency ${(100 * row.efficiency).toFixed(0)} % (±${(50 * row.spread).toFixed(0)})  [${((performance.now() - tm) / 1000).toFixed(0)} s]`);
    rmSync(file, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg()[0]!;
const poor = rows.filter((r) => r.efficiency < POOR);
const md = [
  `# Thread scaling at batch 1: 1 vs 2 intra-op threads${a.tiny ? ' (tiny variants: machinery check)' : ''}`,
  '',
  `Measured ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load0.toFixed(2)} at start, `
  + `${load1.toFixed(2)} at end; ${((performance.now() - t0) / 1000).toFixed(0)} s in all. Whole-model p50 over ${runs} runs per point `
  + `(profile/cpu-scaling-measure.ts), ${repeats} alternating repeats, median kept. Efficiency = t1 / (2 · t2).`,
  `Command: \`node --import tsx bench/thread-scaling.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
  '',
  `**Poor 2-thread scalers (efficiency below ${POOR * 100} %):** ${poor.length ? poor.map((r) => `${r.model} (${(100 * r.efficiency).toFixed(0)} %)`).join(', ') : 'none'}.`,
  load0 > cpus().length ? `\n**Warning:** load average ${load0.toFixed(1)} exceeds the ${cpus().length} cores: two threads cannot get two cores, so every efficiency here is understated. Re-run on a quiet machine.` : '',
  '',
  '| model | 1 thread p50 ms | 2 threads p50 ms | speed-up | efficiency | spread (max−min) | poor |',
  '|---|---:|---:|---:|---:|---:|:---:|',
  ...rows.map((r) => `| ${r.model} | ${r.t1.toFixed(2)} | ${r.t2.toFixed(2)} | ${(r.t1 / r.t2).toFixed(2)}× | ${(100 * r.efficiency).toFixed(0)} % | ${(100 * r.spread).toFixed(0)} pp | ${r.efficiency < POOR ? 'yes' : ''} |`),
  '',
].join('\n');
mkdirSync(a.out!, { recursive: true });
writeFileSync(join(a.out!, 'thread-scaling.md'), md);
writeFileSync(join(a.out!, 'thread-scaling.json'), `${JSON.stringify({ date: started.toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, loadAverage: [load0, load1], runs, repeats, tiny: a.tiny, poorBelow: POOR, rows }, null, 2)}\n`);
console.log(`wrote ${join(a.out!, 'thread-scaling.md')}`);
