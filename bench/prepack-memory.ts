/**
 * What onnxruntime's weight pre-packing costs in memory and saves in time, per zoo model: peak RSS and p50 of one
 * thread with pre-packing off and on (everything else as a function host runs: arena on, optimisation all, lean
 * malloc), in the profiler's own child-process harness (profile/child.ts). The memory model (profile/rss-model.ts
 * PREPACK_GEMM_FACTOR) counts the extra peak per MB of MatMul/Gemm weights; this is where that figure comes from.
 *
 * Run (quiet machine; full size ≈ 5 min for the default models):
 *   node --import tsx bench/prepack-memory.ts [--models gpt2,bert-base] [--models-dir DIR] [--tiny] [--out DIR]
 * --models-dir: reuse already written zoo models (DIR/<name>.onnx) instead of writing them.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openModel, randomInputs } from '../src/graph/index.js';
import { measureInChild, memoryTimeline } from '../src/profile/index.js';
import { LEAN_MALLOC_ENV, median } from '../src/core/index.js';
import { writeZooModel } from '../src/zoo/index.js';

const { values: a } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenetv2,resnet50,vit-b16,bert-base,gpt2,mixer-b16' },
    'models-dir': { type: 'string' }, tiny: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' }, out: { type: 'string' },
  },
});
const MB = 2 ** 20;
const GEMM_OPS = new Set(['MatMul', 'Gemm']);
const CONV_OPS = new Set(['Conv', 'ConvTranspose']);

interface Row { model: string; gemmMB: number; convMB: number; otherMB: number; peakOffMB: number; peakOnMB: number; extraPerGemmMB: number; msOff: number; msOn: number }
const rows: Row[] = [];
const started = new Date();
const load0 = loadavg()[0]!;
const tmp = mkdtempSync(join(tmpdir(), 'mopar-prepack-'));
try {
  for (const name of a.models!.split(',')) {
    let file = a['models-dir'] ? join(a['models-dir'], `${name}.onnx`) : '';
    if (!file || !existsSync(file)) { file = join(tmp, `${name}.onnx`); writeZooModel(name, file, { tiny: a.tiny }); }
    const { graph, inputShapes, loaded } = await openModel(file, {});
    const feeds = randomInputs(graph, inputShapes, 1);
    const mem = memoryTimeline(graph);
    let gemm = 0; let conv = 0; let other = 0;
    graph.nodes.forEach((n, i) => {
      const b = mem.nodes[i]!.paramBytes / MB;
      if (GEMM_OPS.has(n.op)) gemm += b; else if (CONV_OPS.has(n.op)) conv += b; else other += b;
    });
    const measure = (prepack: boolean) => measureInChild(loaded.path, feeds, {
      threads: 1, runs: Number(a.runs), warmup: 1, env: { ...LEAN_MALLOC_ENV },
      sessionConfig: { 'session.disable_prepacking': prepack ? '0' : '1', 'session.intra_op.allow_spinning': '0' },
    });
    // Alternate so that drift hits both alike.
    const off = await measure(false);
    const on = await measure(true);
    const row: Row = {
      model: name, gemmMB: gemm, convMB: conv, otherMB: other, peakOffMB: off.peakMB, peakOnMB: on.peakMB,
      extraPerGemmMB: gemm >= 1 ? (on.peakMB - off.peakMB) / gemm : NaN, msOff: median(off.runMs), msOn: median(on.runMs),
    };
    rows.push(row);
    console.log(`${name}: MatMul/Gemm ${gemm.toFixed(0)} MB, Conv ${conv.toFixed(0)} MB, other ${other.toFixed(0)} MB; ` +
      `peak ${off.peakMB.toFixed(0)} → ${on.peakMB.toFixed(0)} MB with pre-packing (${row.extraPerGemmMB.toFixed(2)} MB per GEMM MB); ` +
      `p50 ${row.msOff.toFixed(1)} → ${row.msOn.toFixed(1)} ms (÷${(row.msOff / row.msOn).toFixed(2)})`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const report = {
  kind: 'mopar.prepack-memory', startedAt: started.toISOString(), finishedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', loadAvgAtStart: load0, loadAvgAtEnd: loadavg()[0] },
  tiny: a.tiny, rows,
};
if (a.out) { mkdirSync(a.out, { recursive: true }); writeFileSync(join(a.out, 'prepack-memory.json'), JSON.stringify(report, null, 2) + '\n'); }
