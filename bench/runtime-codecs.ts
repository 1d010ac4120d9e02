/**
 * Lossless compression of real activations (a full-size zoo model cut into 3 functions, 'compressed' edges):
 * per edge the codec the runtime picked, the ratio and the encode time, for an assumed inter-function link of
 * 10 MB/s and 100 MB/s (the pick weighs encode + decode time against transfer time).
 * Run: node --import tsx bench/runtime-codecs.ts [--model mobilenetv2] [--runs 5]
 */
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeZooModel } from '../src/zoo/index.js';
import { Gateway, DEFAULT_GATEWAY, randomFeeds, v2Meta } from '../src/runtime/index.js';
import { writeChunkedManifest } from '../src/partition/index.js';

const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const name = opt('--model', 'mobilenetv2');
const runs = Number(opt('--runs', '5'));
const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-codecs-'));
const out: Record<string, unknown>[] = [];
try {
  const model = join(dir, `${name}.onnx`);
  writeZooModel(name, model);
  await writeChunkedManifest(model, join(dir, 'part'), 3, (t) => (t === 'input' ? 'inline' : 'compressed'), { memoryMB: 1024 });
  for (const linkMBps of [10, 100]) {
    const gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false, linkMBps, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1 } });
    try {
      gw.addModel(join(dir, 'part'), 'p');
      await gw.listen(0);
      const m = gw.models.get('p')!;
      const agg = new Map<string, { codec?: string; raw: number; wire: number; ms: number; n: number; trials?: unknown }>();
      for (let i = 0; i < runs; i++) {
        const r = await m.infer(randomFeeds({ name: 'p', inputs: m.inputs.map(v2Meta), outputs: [] }, i + 1));
        for (const e of r.edges.filter((x) => x.tensor !== 'input')) {
          const a = agg.get(e.tensor) ?? { raw: 0, wire: 0, ms: 0, n: 0 };
          agg.set(e.tensor, { codec: e.codec, raw: a.raw + e.rawBytes, wire: a.wire + e.wireBytes, ms: a.ms + e.encodeMs, n: a.n + 1, trials: a.trials ?? e.trials });
        }
      }
      for (const [tensor, a] of agg) {
        out.push({ linkMBps, tensor, codec: a.codec, rawKB: +(a.raw / a.n / 1024).toFixed(1), ratio: +(a.raw / a.wire).toFixed(2), encodeMsMean: +(a.ms / a.n).toFixed(2),
          trials: (a.trials as Array<{ codec: string; ratio: number; compressMs: number; decompressMs: number }> | undefined)?.map((t) => `${t.codec} ${t.ratio.toFixed(2)}x ${t.compressMs.toFixed(1)}+${t.decompressMs.toFixed(1)} ms`) });
      }
    } finally {
      await gw.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ model: name, rows: out }, null, 2));
