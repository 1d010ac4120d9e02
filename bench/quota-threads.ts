/**
 * How fast a function host runs a whole model under a fractional CPU quota, with 1 or 2 intra-op threads: the
 * planner interpolates between whole-core measurements, and the build picks a thread count per quota. Each point
 * is one host in its own cgroup (the runtime's real limits), timed over warm invocations (median host ms).
 *
 *   node --import tsx bench/quota-threads.ts MODEL.onnx [--quotas 1,1.25,1.5,1.75,2] [--threads 1,2] [--runs 9] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_RUNTIME, ServedModel, loadServable, randomFeeds, v2Meta } from '../src/runtime/index.js';
import { quantile } from '../src/core/index.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: { quotas: { type: 'string', default: '1,1.25,1.5,1.75,2' }, threads: { type: 'string', default: '1,2' }, runs: { type: 'string', default: '9' }, json: { type: 'string' } },
});
const model = positionals[0];
if (!model) throw new Error('usage: quota-threads.ts MODEL.onnx');
const { manifest, dir } = loadServable(model);
const rows: Array<{ vcpu: number; threads: number; p50Ms: number; minMs: number }> = [];
for (const vcpu of a.quotas!.split(',').map(Number)) {
  for (const threads of a.threads!.split(',').map(Number)) {
    if (threads > Math.ceil(vcpu)) continue;
    const m = { ...manifest, functions: manifest.functions.map((f) => ({ ...f, vcpu, threads, memoryMB: 4096 })) };
    const served = new ServedModel('m', m, dir, { ...DEFAULT_RUNTIME, enforceLimits: true });
    try {
      const feeds = randomFeeds({ name: 'm', inputs: served.inputs.map(v2Meta), outputs: [] }, 1);
      for (let i = 0; i < 2; i++) await served.infer(feeds);
      const ms: number[] = [];
      for (let i = 0; i < Number(a.runs); i++) ms.push((await served.infer(feeds)).calls[0]!.stats.hostMs);
      const row = { vcpu, threads, p50Ms: +quantile(ms, 0.5).toFixed(1), minMs: +Math.min(...ms).toFixed(1) };
      rows.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await served.close();
    }
  }
}
if (a.json) writeFileSync(a.json, `${JSON.stringify({ model, rows }, null, 2)}\n`);
