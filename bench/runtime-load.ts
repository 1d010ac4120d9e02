/**
 * Bounded loopback load test: a model cut into 3 functions (shared-memory hand-offs) behind the gateway,
 * autocannon with 50 connections for 10 s. Reports requests, latency percentiles, errors and non-2xx.
 * Run: node --import tsx bench/runtime-load.ts [--model resnet50] [--connections 50] [--seconds 10] [--max-instances 2]
 */
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildZooModel } from '../src/zoo/index.js';
import { saveModel } from '../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, binaryInferRequest, modelMetadata, randomFeeds } from '../src/runtime/index.js';
import { writeChunkedManifest } from '../src/partition/index.js';

const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const name = opt('--model', 'resnet50');
const connections = Number(opt('--connections', '50'));
const seconds = Number(opt('--seconds', '10'));
const maxInstances = Number(opt('--max-instances', '2'));
type R = { errors: number; timeouts: number; non2xx: number; requests: { total: number; average: number }; latency: { p50: number; p90: number; p99: number; max: number } };
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<R>;

const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-load-'));
const gw = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances, queueMax: 256 } });
try {
  const model = join(dir, `${name}.onnx`);
  saveModel(buildZooModel(name, { tiny: true }), model);
  await writeChunkedManifest(model, join(dir, 'part'), 3, (t) => (t === 'input' ? 'inline' : 'shm'), { memoryMB: 256 });
  gw.addModel(join(dir, 'part'), 'part');
  const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
  const { body, headers } = binaryInferRequest(randomFeeds(await modelMetadata(base, 'part'), 1));
  // autocannon sets content-length itself (a second one would make every request malformed).
  const { 'content-length': _, ...hdrs } = headers;
  const r = await autocannon({ url: `${base}/v2/models/part/infer`, method: 'POST', body, headers: hdrs, connections, duration: seconds });
  const stats = gw.stats('part');
  console.log(JSON.stringify({
    model: `${name} (tiny), 3 functions, shm hand-offs`, connections, seconds, maxInstancesPerFunction: maxInstances,
    requests: r.requests.total, reqPerSec: r.requests.average, latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max }, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
    limitsEnforced: stats.limitsEnforced, instances: stats.functions.map((f) => ({ fn: f.name, coldStarts: f.coldStarts, invocations: f.invocations, peakRssMB: +f.peakRssMB.toFixed(1) })),
  }, null, 2));
} finally {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
