/**
 * Serving overhead at the physical limit (issue 28): one model run by a bare onnxruntime-node session in this
 * process, and served by the embedded runtime — unsplit over the binary tensor extension, unsplit over KServe v2
 * JSON, and as 3 functions over the binary extension — measured interleaved (one request of each in turn, so load
 * on a shared machine hits all alike), with the gateway's per-phase trace (x-mopar-trace) of every served request.
 * Prints p50s, differences and ratios against bare, the median of each phase, the CPU model and the load average.
 * 'floor': what this machine charges any gateway-plus-host design, with no work of ours in it — the same request
 * body over loopback HTTP to a plain node:http server that hands it to a child process over Node IPC, where the
 * child busy-waits the bare run's p50 and answers; the server then sends a response of the served one's size. Its
 * difference to bare is the wake-ups and transfers a served request cannot avoid here (on a VM an idle process
 * takes 0.1–0.3 ms to wake); served − floor is what the runtime itself adds.
 * 'httpFloor': the same without the IPC hop — loopback HTTP to a plain server process that busy-waits the bare p50.
 * 'deployed' and 'deployed3': what `mopar deploy --target knative` writes for the same two builds, run from its own
 * files by local-run, each Service's server.js reached at its own port (no queue-proxy or ingress): the unsplit
 * build's one function, which is the model's endpoint itself — the design where the function owns the client's
 * connection, no gateway and no IPC hop; the 3-function build's entry calls its slices over HTTP.
 *
 * Run: node --import tsx bench/overhead.ts [--requests 200] [--no-224] [--json out.json]
 * Models: test/fixtures/exported/mobilenetv3-small.onnx at 1×3×64×64, and the zoo's MobileNetV2 at 1×3×224×224
 * (built and partitioned into a temporary folder, `--strategy unsplit` and `uniform:3`, SLO large).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, DEFAULT_GATEWAY, binaryInferRequest, httpRequest, errorOf, FUNCTION_SESSION_CONFIG, parseTrace, PHASES } from '../src/runtime/index.js';
import { openSession, runSession, type Feeds } from '../src/graph/index.js';
import { loadManifest } from '../src/partition/index.js';
import { localRun } from '../src/deploy/index.js';

const argv = process.argv.slice(2);
const arg = (k: string, d: number) => { const i = argv.indexOf(k); return i >= 0 ? Number(argv[i + 1]) : d; };
const REQUESTS = arg('--requests', 200);
const jsonOut = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
const root = new URL('..', import.meta.url).pathname;
const mopar = (...a: string[]) => execFileSync(process.execPath, [join(root, 'bin/mopar.js'), ...a], { stdio: ['ignore', 'ignore', 'pipe'] });

const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-overhead-'));
const cases: Array<{ label: string; onnx: string; dims: number[] }> = [
  { label: 'mobilenetv3-small 1x3x64x64', onnx: join(root, 'test/fixtures/exported/mobilenetv3-small.onnx'), dims: [1, 3, 64, 64] },
];
if (!argv.includes('--no-224')) {
  const onnx = join(dir, 'mobilenetv2.onnx');
  mopar('zoo', 'build', 'mobilenetv2', '-o', onnx);
  cases.push({ label: 'mobilenetv2 1x3x224x224', onnx, dims: [1, 3, 224, 224] });
}

const pct = (a: number[], p: number) => (a.length ? [...a].sort((u, v) => u - v)[Math.min(a.length - 1, Math.floor(p * a.length))]! : NaN);
const f2 = (x: number) => x.toFixed(2);

type Variant = 'bare' | 'floor' | 'httpFloor' | 'binary' | 'json' | 'chain3' | 'deployed' | 'deployed3';
const SERVED: readonly Variant[] = ['binary', 'json', 'chain3'];
const report: Record<string, unknown> = {
  cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadBefore: loadavg().map((x) => +x.toFixed(2)), requests: REQUESTS, cases: [] as unknown[],
};
console.log(`cpu: ${String(report.cpu)} (${cpus().length} cores); load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

for (const c of cases) {
  const unsplit = join(dir, `${c.label.split(' ')[0]}.unsplit`);
  const chain = join(dir, `${c.label.split(' ')[0]}.uniform3`);
  const common = ['--slo-ms', '100000', '--allow-slo-miss', '--no-cpu-scaling', '--no-rss', '--runs', '2'];
  mopar('partition', c.onnx, '-o', unsplit, '--strategy', 'unsplit', ...common);
  mopar('partition', c.onnx, '-o', chain, '--strategy', 'uniform:3', ...common);
  const manifest = loadManifest(unsplit).manifest;
  const threads = manifest.functions[0]!.threads || 1;
  const inputName = manifest.inputs[0]!;

  // Limits off: bare and served run on the same cores with the same threads; what differs is the serving path.
  const gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1 } });
  const m1 = gw.addModel(unsplit, 'unsplit');
  const m3 = gw.addModel(chain, 'chain3');
  const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
  // What `deploy` writes for Knative, run from its own files (local-run, limits off like the gateway's): each
  // function's server.js reached at its own port (a Knative Service's container, without queue-proxy or ingress).
  // 'deployed': the unsplit build's one function, which deploy makes the model's endpoint itself (no entry in front).
  const deployed = { deployed: '', deployed3: '' };
  const runs = [];
  for (const [v, built] of [['deployed', unsplit], ['deployed3', chain]] as const) {
    const out = join(dir, `${c.label.split(' ')[0]}.${v}.knative`);
    mopar('deploy', built, '--target', 'knative', '-o', out);
    const run = await localRun(out, { limits: false });
    runs.push(run);
    const entry = run.functions.find((f) => f.entry)?.url;
    if (!entry) throw new Error(`${v}: local-run gave no address for the entry function`);
    deployed[v] = `${entry}/v2/models/${manifest.model}/infer`;
  }
  const session = await openSession(join(unsplit, manifest.functions[0]!.file), { threads, memArena: true, optimization: 'all', config: FUNCTION_SESSION_CONFIG });

  const n = c.dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
  const feeds: Feeds = { [inputName]: { dtype: 'float32', dims: c.dims, data } };
  const bin = binaryInferRequest(feeds);
  const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: inputName, datatype: 'FP32', shape: c.dims, data: Array.from(data) }] }));
  const infer = (model: string) => `${base}/v2/models/${model}/infer`;
  const requests: Record<Exclude<Variant, 'bare' | 'floor' | 'httpFloor'>, { url: string; body: Buffer; headers: Record<string, string | number> }> = {
    binary: { url: infer(m1), body: bin.body, headers: bin.headers },
    json: { url: infer(m1), body: jsonBody, headers: { 'content-type': 'application/json', 'content-length': jsonBody.length } },
    chain3: { url: infer(m3), body: bin.body, headers: bin.headers },
    deployed: { url: deployed.deployed, body: bin.body, headers: bin.headers },
    deployed3: { url: deployed.deployed3, body: bin.body, headers: bin.headers },
  };
  // The floor: a child that busy-waits (no timer: a timer's wake-up is not part of a run) and a bare HTTP server.
  const child = spawn(process.execPath, ['-e', `process.on('message', (ms) => { const end = performance.now() + ms; while (performance.now() < end); process.send(0); });`], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let busyMs = 0;
  let replyBytes = Buffer.alloc(0);
  const floorServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      child.once('message', () => res.end(replyBytes));
      child.send(busyMs);
    });
  });
  await new Promise<void>((r) => floorServer.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floorServer.address() as { port: number }).port}/`;
  // The HTTP floor: what a function that owns the connection cannot avoid — a plain node:http server in its own
  // process that reads the body, busy-waits the bare run's p50 and answers the served reply's bytes.
  const httpChild = spawn(process.execPath, ['-e', `const http = require('node:http');
let busy = 0, reply = Buffer.alloc(0);
process.on('message', (m) => { busy = m.busyMs; reply = Buffer.alloc(m.replyBytes); process.send('set'); });
const s = http.createServer((req, res) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => { Buffer.concat(c); const end = performance.now() + busy; while (performance.now() < end); res.end(reply); }); });
s.listen(0, '127.0.0.1', () => process.send(s.address().port));`], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const httpFloorUrl = `http://127.0.0.1:${await new Promise<number>((r) => httpChild.once('message', (p) => r(Number(p))))}/`;
  const ms: Record<Variant, number[]> = { bare: [], floor: [], httpFloor: [], binary: [], json: [], chain3: [], deployed: [], deployed3: [] };
  const phases: Record<string, Record<string, number[]>> = { binary: {}, json: {}, chain3: {} };
  const once = async (v: Variant, keep: boolean) => {
    const t = performance.now();
    if (v === 'bare') {
      await runSession(session, feeds);
      if (keep) ms.bare.push(performance.now() - t);
      return;
    }
    if (v === 'floor' || v === 'httpFloor') {
      const reply = await httpRequest(v === 'floor' ? floorUrl : httpFloorUrl, { method: 'POST', headers: bin.headers, body: bin.body });
      if (reply.status !== 200) throw new Error(`${v}: HTTP ${reply.status}`);
      if (keep) ms[v].push(performance.now() - t);
      return;
    }
    const r = requests[v];
    const traced = SERVED.includes(v);
    const reply = await httpRequest(r.url, { method: 'POST', headers: traced ? { ...r.headers, 'x-mopar-trace': '1' } : r.headers, body: r.body });
    const took = performance.now() - t;
    if (reply.status !== 200) throw new Error(`${v}: HTTP ${reply.status}: ${errorOf(reply)}`);
    if (!keep) return;
    ms[v].push(took);
    if (!traced) return;
    const tr = parseTrace(String(reply.headers['x-mopar-trace'] ?? ''));
    // What the server's trace cannot see: the client's request and response handling and the HTTP transfer.
    tr.write = took - (tr.total ?? took);
    for (const k of [...PHASES, 'total'] as const) (phases[v]![k] ??= []).push(tr[k] ?? 0);
  };
  const order: Variant[] = ['bare', 'floor', 'httpFloor', 'binary', 'json', 'chain3', 'deployed', 'deployed3'];
  // The floor's child waits as long as a bare run takes, and its server answers with the served reply's bytes.
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) { const t = performance.now(); await runSession(session, feeds); warm.push(performance.now() - t); }
  busyMs = pct(warm, 0.5);
  replyBytes = Buffer.alloc((await httpRequest(`${base}/v2/models/${m1}/infer`, { method: 'POST', headers: bin.headers, body: bin.body })).body.length);
  await new Promise((r) => { httpChild.once('message', r); httpChild.send({ busyMs, replyBytes: replyBytes.length }); });
  for (let i = 0; i < 20; i++) for (const v of order) await once(v, false);
  for (let i = 0; i < REQUESTS; i++) for (let k = 0; k < order.length; k++) await once(order[(i + k) % order.length]!, true);

  const p50 = Object.fromEntries(order.map((v) => [v, pct(ms[v], 0.5)])) as Record<Variant, number>;
  console.log(`\n== ${c.label} (threads ${threads}, ${REQUESTS} interleaved requests each; JSON body ${(jsonBody.length / 2 ** 20).toFixed(2)} MB)`);
  console.log(`bare onnxruntime p50 ${f2(p50.bare)} ms`);
  console.log(`floor            p50 ${f2(p50.floor)} ms  (+${f2(p50.floor - p50.bare)} ms: HTTP + IPC to a busy child, no work of ours)`);
  console.log(`HTTP floor       p50 ${f2(p50.httpFloor)} ms  (+${f2(p50.httpFloor - p50.bare)} ms: HTTP to a busy server process, no work of ours)`);
  console.log(`served binary    p50 ${f2(p50.binary)} ms  (+${f2(p50.binary - p50.bare)} ms, ×${f2(p50.binary / p50.bare)} bare; +${f2(p50.binary - p50.floor)} over the floor)`);
  console.log(`served JSON      p50 ${f2(p50.json)} ms  (+${f2(p50.json - p50.binary)} ms over binary, ×${f2(p50.json / p50.bare)} bare)`);
  console.log(`3 functions bin  p50 ${f2(p50.chain3)} ms  (+${f2(p50.chain3 - p50.bare)} ms over bare, +${f2(p50.chain3 - p50.binary)} over unsplit binary)`);
  console.log(`deployed binary  p50 ${f2(p50.deployed)} ms  (+${f2(p50.deployed - p50.bare)} ms, ×${f2(p50.deployed / p50.bare)} bare, +${f2(p50.deployed - p50.httpFloor)} over the HTTP floor: the model's one Knative Service)`);
  console.log(`deployed 3 fns   p50 ${f2(p50.deployed3)} ms  (+${f2(p50.deployed3 - p50.bare)} ms over bare: the Knative entry calling its slices over HTTP)`);
  const cols = [...PHASES, 'other', 'total'];
  console.log(`\nmedian per phase (ms; 'write' = client-measured time minus the server's total: response write, HTTP, client)`);
  console.log(['phase'.padEnd(12), 'binary'.padStart(8), 'json'.padStart(8), 'chain3'.padStart(8)].join(''));
  const med: Record<string, Record<string, number>> = {};
  for (const v of ['binary', 'json', 'chain3']) {
    med[v] = {};
    const per = phases[v]!;
    // 'other': the server's total minus its measured phases (event loop, promise hops, dataflow bookkeeping).
    per.other = (per.total ?? []).map((t, i) => t - PHASES.filter((p) => p !== 'write').reduce((s, p) => s + (per[p]?.[i] ?? 0), 0));
    for (const p of cols) med[v]![p] = pct(per[p] ?? [], 0.5);
  }
  for (const p of cols) console.log([p.padEnd(12), ...['binary', 'json', 'chain3'].map((v) => (Number.isNaN(med[v]![p]!) ? '-' : f2(med[v]![p]!)).padStart(8))].join(''));
  (report.cases as unknown[]).push({ label: c.label, threads, p50, medianPhaseMs: med });
  await session.release();
  await gw.close();
  for (const run of runs) await run.close();
  child.kill();
  httpChild.kill();
  await new Promise((r) => floorServer.close(r));
}
report.loadAfter = loadavg().map((x) => +x.toFixed(2));
console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
rmSync(dir, { recursive: true, force: true });
