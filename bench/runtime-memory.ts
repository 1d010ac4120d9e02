/**
 * Memory-lean host: peak RSS of one function host serving a whole (full-size) zoo model, against
 * weights + peak live activations (liveness over the graph) + the Node+onnxruntime host baseline (a host
 * serving a trivial model). Goal: ratio ≤ 1.15. Each onnxruntime setting is measured as its own step.
 * Run: node --import tsx bench/runtime-memory.ts [--models resnet50,mobilenetv2] [--tiny]
 */
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeToyModel, writeZooModel } from '../src/zoo/index.js';
import { openModel } from '../src/graph/index.js';
import { memoryTimeline } from '../src/profile/index.js';
import { Gateway, DEFAULT_GATEWAY, randomFeeds, v2Meta, type ModelMetadata } from '../src/runtime/index.js';

const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const models = opt('--models', 'resnet50,mobilenetv2,bert-base,vgg16').split(',');
const tiny = process.argv.includes('--tiny');
const MB = 2 ** 20;
type Step = { step: string; memArena: boolean; prepacking: boolean; optimization?: 'disabled' | 'basic' | 'extended' | 'all'; externalData?: boolean };
const ALL_STEPS: Step[] = [
  { step: '0 ort defaults (arena + pre-packing, optimisation all)', memArena: true, prepacking: true },
  { step: '1 no arena', memArena: false, prepacking: true },
  { step: '2 no arena, no pre-packing', memArena: false, prepacking: false },
  { step: '3 + optimisation extended (no NCHWc weight copies)', memArena: false, prepacking: false, optimization: 'extended' },
  { step: '4 + weights as mmapped external data', memArena: false, prepacking: false, optimization: 'extended', externalData: true },
  { step: '5 optimisation all + external data', memArena: false, prepacking: false, externalData: true },
  { step: '6 optimisation basic + external data', memArena: false, prepacking: false, optimization: 'basic', externalData: true },
  { step: '7 optimisation disabled + external data', memArena: false, prepacking: false, optimization: 'disabled', externalData: true },
];
const STEPS = process.argv.includes('--steps') ? ALL_STEPS.filter((_, i) => opt('--steps', '').split(',').includes(String(i))) : ALL_STEPS;

async function hostPeak(model: string, s: Step, runs = 3): Promise<{ peakRssMB: number; loadMs: number; afterLoadMB: number; runMs: number }> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false, memArena: s.memArena, prepacking: s.prepacking, optimization: s.optimization, externalData: !!s.externalData, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1 } });
  try {
    gw.addModel(model, 'm');
    await gw.listen(0);
    const m = gw.models.get('m')!;
    const inst = [...m.pools.values()][0]!.instances[0]!;
    const afterLoadMB = inst.peakRssMB;
    const meta: ModelMetadata = { name: 'm', inputs: m.inputs.map(v2Meta), outputs: m.outputs.map(v2Meta) };
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) ms.push((await m.infer(randomFeeds(meta, i + 1, 2))).calls[0]!.stats.runMs);
    return { peakRssMB: Math.max(inst.peakRssMB, afterLoadMB), loadMs: inst.loadMs, afterLoadMB, runMs: Math.min(...ms) };
  } finally {
    await gw.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-mem-'));
const rows: Record<string, unknown>[] = [];
try {
  const toy = writeToyModel(dir);
  const base: Record<string, number> = {};
  for (const s of STEPS) base[s.step] = (await hostPeak(toy, s)).peakRssMB;
  for (const name of models) {
    const file = join(dir, `${name}.onnx`);
    writeZooModel(name, file, { tiny });
    const { graph } = await openModel(file);
    const tl = memoryTimeline(graph);
    for (const s of STEPS) {
      const r = await hostPeak(file, s);
      const expected = tl.weightsBytes / MB + tl.peakActivationBytes / MB + base[s.step]!;
      rows.push({
        model: name, step: s.step, weightsMB: +(tl.weightsBytes / MB).toFixed(1), peakActivationMB: +(tl.peakActivationBytes / MB).toFixed(1),
        baselineMB: +base[s.step]!.toFixed(1), afterLoadMB: +r.afterLoadMB.toFixed(1), peakRssMB: +r.peakRssMB.toFixed(1),
        ratio: +(r.peakRssMB / expected).toFixed(3), loadMs: Math.round(r.loadMs), bestRunMs: +r.runMs.toFixed(1),
      });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ tiny, rows }, null, 2));
