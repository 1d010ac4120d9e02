/**
 * Hop overhead between functions for a 1 KB tensor (goal ≤ 1 ms p50): the same model served as 1 function and
 * as a chain of N functions (each an Identity-like Add 0); overhead per hop = (p50 chain − p50 single) / (N − 1).
 * Also the raw gateway→host round trip (no HTTP). Run: node --import tsx bench/runtime-hop.ts [--n 6] [--requests 400]
 */
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, type Transport } from '../src/runtime/index.js';
import { writeManifest } from '../src/partition/index.js';

const arg = (k: string, d: number) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const N = arg('--n', 6);
const REQ = arg('--requests', 400);
const transport = (process.argv.includes('--transport') ? process.argv[process.argv.indexOf('--transport') + 1] : 'inline') as Transport;

const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-hop-'));
const b = new GraphBuilder('chain');
let x = b.input('x', 'float32', [1, 256]); // 1 KB
const zero = b.init('zero', 'float32', [1], new Float32Array(1));
for (let i = 0; i < N; i++) x = b.node('Add', [x, zero], {}, { name: `f${i}` });
b.output(x, 'float32', [1, 256]);
const model = join(dir, 'chain.onnx');
saveModel(b.model(17), model);
await writeManifest(model, join(dir, 'chain'), Array.from({ length: N }, (_, i) => ({ name: `f${i}`, nodes: [`f${i}`] })), (t) => (t === 'x' ? 'inline' : transport), { memoryMB: 256 });

const gw = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1 } });
gw.addModel(model, 'single');
gw.addModel(join(dir, 'chain'), 'chain');
const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
const feeds = { x: { dtype: 'float32' as const, dims: [1, 256], data: new Float32Array(256).fill(1) } };

const pct = (a: number[], p: number) => [...a].sort((u, v) => u - v)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
async function measure(name: string): Promise<number[]> {
  for (let i = 0; i < 30; i++) await infer(base, name, feeds);
  const ms: number[] = [];
  for (let i = 0; i < REQ; i++) ms.push((await infer(base, name, feeds)).ms);
  return ms;
}
// Interleave to share any background noise.
const single = await measure('single');
const chain = await measure('chain');
const single2 = await measure('single');
const s50 = Math.min(pct(single, 0.5), pct(single2, 0.5));
const c50 = pct(chain, 0.5);
// Direct IPC round trip to one warm host (no HTTP), for reference.
const singleModel = gw.models.get('single')!;
const pool = [...singleModel.pools.values()][0]!;
const outName = singleModel.outputs[0]!.name;
const wire = { x: { enc: 'raw' as const, dtype: 'float32' as const, dims: [1, 256], bytes: 1024, data: new Uint8Array(1024) } };
const ipc: number[] = [];
for (let i = 0; i < REQ; i++) { const t = performance.now(); await pool.invoke(wire, { [outName]: { enc: 'raw' } }); ipc.push(performance.now() - t); }
const res = {
  tensorBytes: 1024, functions: N, transport, requests: REQ,
  singleP50Ms: s50, chainP50Ms: c50, chainP95Ms: pct(chain, 0.95),
  hopOverheadP50Ms: (c50 - s50) / (N - 1),
  ipcRoundTripP50Ms: pct(ipc, 0.5),
  limitsEnforced: gw.stats('chain').limitsEnforced,
};
console.log(JSON.stringify(res, null, 2));
await gw.close();
rmSync(dir, { recursive: true, force: true });
