/**
 * Shared memory vs inline HTTP for one 12.8 MB tensor between two processes (goal: shm ≥ 5× faster).
 * - inline HTTP: the sender POSTs the raw tensor to the receiver's HTTP server (what chained serverless
 *   functions do), the receiver has it as a Float32Array, then answers.
 * - shm: the sender writes a /dev/shm segment (mode 0600) and passes its name over IPC; the receiver reads it
 *   into a Float32Array and answers; the sender removes the segment. Exactly the runtime's code (wire.ts).
 * - IPC inline (the runtime's 'inline' transport, structured clone over a pipe), for reference.
 * Then the same through the runtime: a 2-function chain whose middle edge carries the 12.8 MB tensor, served
 * with that edge as inline (IPC via the gateway), compressed, or shm; p50 of the whole chain (in-process, no HTTP).
 * Run: node --import tsx bench/runtime-shm.ts [--mb 12.8] [--runs 30]
 */
import { GraphBuilder, saveModel } from '../src/graph/index.js';
import { Gateway, DEFAULT_GATEWAY } from '../src/runtime/index.js';
import { writeManifest } from '../src/partition/index.js';
import { fork } from 'node:child_process';
import { request, Agent } from 'node:http';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTensor, CodecChooser, removeSegment, segmentPath } from '../src/runtime/index.js';

const arg = (k: string, d: number) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const MB = arg('--mb', 12.8);
const RUNS = arg('--runs', 30);
const n = Math.round((MB * 1e6) / 4);

const receiverJs = `
const http = require('node:http'); const fs = require('node:fs');
const srv = http.createServer((req, res) => { const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => {
  const b = Buffer.concat(chunks); const f = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); res.end(String(f[f.length - 1])); }); });
srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
process.on('message', (m) => {
  if (m.path) { const fd = fs.openSync(m.path, 'r'); const size = fs.fstatSync(fd).size; if (!globalThis.rb || globalThis.rb.length !== size) globalThis.rb = Buffer.allocUnsafeSlow(size);
    const b = globalThis.rb; let o = 0; while (o < size) o += fs.readSync(fd, b, o, size - o, o); fs.closeSync(fd); const f = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); process.send({ ack: f[f.length - 1] }); }
  else if (m.data) { const f = new Float32Array(m.data.buffer, m.data.byteOffset, m.data.byteLength / 4); process.send({ ack: f[f.length - 1] }); }
});
process.on('disconnect', () => process.exit(0));`;
const file = join(tmpdir(), `mopar-bench-recv-${process.pid}.cjs`);
writeFileSync(file, receiverJs);
const child = fork(file, [], { serialization: 'advanced' });
const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
const nextAck = () => new Promise<void>((r) => child.once('message', () => r()));

const data = new Float32Array(n);
for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 3;
const tensor = { dtype: 'float32' as const, dims: [n], data };
const bytes = new Uint8Array(data.buffer);
const agent = new Agent({ keepAlive: true });

async function httpOnce(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-length': bytes.byteLength, 'content-type': 'application/octet-stream' } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(bytes);
  });
}
async function shmOnce(): Promise<void> {
  const path = segmentPath('bench');
  try {
    const { wire } = encodeTensor('t', tensor, { enc: 'shm', path }, new CodecChooser());
    const ack = nextAck();
    child.send({ path: (wire as { path: string }).path });
    await ack;
  } finally {
    removeSegment(path);
  }
}
async function ipcOnce(): Promise<void> {
  const ack = nextAck();
  child.send({ data: bytes });
  await ack;
}
const pct = (a: number[], p: number) => [...a].sort((u, v) => u - v)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
async function time(f: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await f();
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) { const t = performance.now(); await f(); out.push(performance.now() - t); }
  return out;
}
const http = await time(httpOnce);
// (runs interleave nothing else; the machine is shared, so compare within one run only)
const shm = await time(shmOnce);
const ipc = await time(ipcOnce);
const r = {
  tensorMB: bytes.byteLength / 1e6, runs: RUNS,
  inlineHttpP50Ms: pct(http, 0.5), shmP50Ms: pct(shm, 0.5), ipcInlineP50Ms: pct(ipc, 0.5),
  shmSpeedupVsHttp: pct(http, 0.5) / pct(shm, 0.5),
};
child.disconnect();
agent.destroy();
(await import('node:fs')).unlinkSync(file);

// Through the runtime.
const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-edge-'));
const b = new GraphBuilder('edge');
const x = b.input('x', 'float32', [n]);
const one = b.init('one', 'float32', [1], new Float32Array([1]));
const y = b.node('Add', [x, one], {}, { name: 'f0' });
const z = b.node('Sub', [y, one], {}, { name: 'f1' });
b.output(z, 'float32', [n]);
const model = join(dir, 'edge.onnx');
saveModel(b.model(17), model);
const chain: Record<string, number | string | undefined> = {};
for (const t of ['inline', 'compressed', 'shm'] as const) {
  await writeManifest(model, join(dir, t), [{ name: 'f0', nodes: ['f0'] }, { name: 'f1', nodes: ['f1'] }], (name) => (name === 'x' ? 'inline' : t), { memoryMB: 1024 });
  const gw = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1 } });
  gw.addModel(join(dir, t), t);
  await gw.listen(0);
  const m = gw.models.get(t)!;
  let last: Awaited<ReturnType<typeof m.infer>> | undefined;
  const ms = await time(async () => { last = await m.infer({ x: tensor }); });
  chain[`${t}P50Ms`] = pct(ms, 0.5);
  const e = last!.edges.find((x) => x.tensor !== 'x');
  if (t === 'compressed' && e) { chain.compressedRatio = e.rawBytes / e.wireBytes; (chain as Record<string, unknown>).compressedCodec = e.codec; }
  await gw.close();
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ ...r, runtimeChain: chain, note: 'compressed ratio is on synthetic sin() data; see runtime-zoo for real activations' }, null, 2));
