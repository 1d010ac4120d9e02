/**
 * Bounded load and fault script for `mopar serve` on 127.0.0.1 (issue 17's targets). A tiny zoo model cut into
 * 3 functions (shared-memory hand-offs) is served by a `mopar serve` child process, then:
 *   A/B  goodput (2xx/s) at 4 and at 200 connections (autocannon, 10 s client timeout), status breakdown, and
 *        the work done for clients that left (gateway /stats `abandoned`);
 *   C    a 200 MB body streamed in while a health check is timed every 20 ms (and one body at the model's limit);
 *   F    1000 slow connections that never finish their headers: how many are still open after the header timeout;
 *   D    SIGKILL of one function host under load: failed requests (status, function named) and recovery time;
 *   E    SIGSTOP of one host: its request times out at the --timeout bound (504);
 *   G    SIGTERM with requests in flight: answered? exit code, processes / segments / cgroups left;
 *   H    SIGKILL of the gateway: processes / segments / cgroups left after 3 s.
 * Everything is bounded (counts and durations); only loopback is used.
 * Run: nice node --import tsx bench/load-fault.ts [--model resnet50] [--seconds 60] [--timeout-s 3] [--queue 64]
 *        [--slow 1000] [--phases ABCFDEGH] [--out FILE]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../src/zoo/index.js';
import { saveModel } from '../src/graph/index.js';
import { SHM_DIR, binaryInferRequest, httpRequest, modelMetadata, randomFeeds } from '../src/runtime/index.js';
import { writeChunkedManifest } from '../src/partition/index.js';

const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const modelName = opt('--model', 'resnet50');
const seconds = Number(opt('--seconds', '60'));
const timeoutS = Number(opt('--timeout-s', '3'));
const outFile = opt('--out', '');
const phases = opt('--phases', 'ABCFDEGH');
const slowCount = Number(opt('--slow', '1000'));
/** Per-function queue (serve --queue); the default 64 makes 200 closed-loop clients a 429 storm. */
const queue = opt('--queue', '64');
const BIN = join(import.meta.dirname, '..', 'bin', 'mopar.js');

type Result = {
  errors: number; timeouts: number; non2xx: number; statusCodeStats: Record<string, { count: number }>;
  requests: { total: number; average: number }; latency: { p50: number; p99: number; max: number }; duration: number;
};
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<Result>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

function hostsOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).toString().split('\n')
      .filter((l) => /host-/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0])).filter(Boolean);
  } catch { return []; }
}
const segmentsOf = (pid: number) => readdirSync(SHM_DIR).filter((f) => f.startsWith(`mopar-${pid}-`));
function cgroupsOf(pid: number): string[] {
  const found: string[] = [];
  const lines = existsSync('/proc/self/cgroup') ? readFileSync('/proc/self/cgroup', 'utf8').split('\n') : [];
  for (const ctl of ['cpu', 'memory']) {
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes(ctl));
    const d = join('/sys/fs/cgroup', ctl, line?.split(':')[2] ?? '/');
    if (existsSync(d)) for (const e of readdirSync(d)) if (e.startsWith(`mopar-${pid}-`)) found.push(join(d, e));
  }
  return found;
}
const rssMB = (pid: number) => {
  try { return Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024; } catch { return NaN; }
};

async function startServe(dir: string, extra: string[] = []): Promise<{ proc: ChildProcess; base: string; log: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0', '--max-instances', '2', '--timeout', String(timeoutS), '--queue', queue, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve did not start: ${log}`)), 120_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
    proc.once('exit', () => reject(new Error(`serve exited: ${log}`)));
  });
  return { proc, base, log: () => log };
}

/** Times a health check every `everyMs` until `done` resolves; returns the slowest and the count. */
async function healthDuring(base: string, done: Promise<unknown>, everyMs = 20): Promise<{ maxMs: number; checks: number }> {
  let finished = false;
  void done.finally(() => { finished = true; });
  let maxMs = 0;
  let checks = 0;
  while (!finished) {
    const t0 = performance.now();
    await httpRequest(`${base}/v2/health/ready`);
    maxMs = Math.max(maxMs, performance.now() - t0);
    checks++;
    await sleep(everyMs);
  }
  return { maxMs: +maxMs.toFixed(1), checks };
}

/** Streams `bytes` of JSON-looking body; resolves with the status (or the error) and when it came. */
function bigUpload(base: string, path: string, bytes: number): Promise<{ status: number | string; ms: number; sentMB: number }> {
  const { port } = new URL(base);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s: Socket = connect(Number(port), '127.0.0.1');
    let sent = 0;
    let got = '';
    let settled = false;
    const finish = (status: number | string) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve({ status, ms: +(performance.now() - t0).toFixed(1), sentMB: +(sent / 2 ** 20).toFixed(1) });
    };
    s.on('data', (d) => {
      got += d.toString();
      const m = /^HTTP\/1\.1 (\d+)/.exec(got);
      if (m) finish(Number(m[1]));
    });
    s.on('error', (e) => finish((e as NodeJS.ErrnoException).code ?? e.message));
    s.on('close', () => finish('closed'));
    s.on('connect', () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`);
      s.write('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,32,32],"data":[');
      const chunk = Buffer.from('0.5,'.repeat(16384));
      const pump = () => {
        while (!settled && sent < bytes) {
          sent += chunk.length;
          if (!s.write(chunk)) { s.once('drain', pump); return; }
        }
      };
      pump();
    });
  });
}

const report: Record<string, unknown> = {
  cpu: cpus()[0]?.model, cores: cpus().length, note: 'shared machine (other jobs running); numbers are indicative',
  model: `${modelName} (tiny), 3 functions, shm hand-offs, --max-instances 2, --timeout ${timeoutS}, --queue ${queue}`, seconds,
};
const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-loadfault-'));
let serve: Awaited<ReturnType<typeof startServe>> | undefined;
try {
  const model = join(dir, `${modelName}.onnx`);
  saveModel(buildZooModel(modelName, { tiny: true }), model);
  const part = join(dir, 'part');
  await writeChunkedManifest(model, part, 3, (t) => (t === 'input' ? 'inline' : 'shm'), { memoryMB: 512 });
  serve = await startServe(part);
  const { base, proc } = serve;
  const name = 'toy'; // the test manifest's model name
  const meta = await modelMetadata(base, name);
  const { body, headers } = binaryInferRequest(randomFeeds(meta, 1));
  const { 'content-length': _, ...hdrs } = headers;
  const url = `${base}/v2/models/${name}/infer`;
  const stats = async () => JSON.parse((await httpRequest(`${base}/v2/models/${name}/stats`)).body.toString()) as {
    abandoned: { completed: number; cancelled: number }; functions: Array<{ name: string; invocations: number }>;
  };
  await autocannon({ url, method: 'POST', body, headers: hdrs, connections: 2, amount: 20 }); // warm

  // A/B: goodput at 4 and 200 connections.
  const load = async (connections: number) => {
    const before = await stats();
    const r = await autocannon({ url, method: 'POST', body, headers: hdrs, connections, duration: seconds, timeout: 10 });
    const after = await stats();
    const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
    const ok = codes['200'] ?? 0;
    return {
      connections, goodputPerSec: +(ok / r.duration).toFixed(1), statusCodes: codes, socketErrors: r.errors, clientTimeouts: r.timeouts,
      latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      abandoned: { completedForGoneClients: after.abandoned.completed - before.abandoned.completed, cancelledBeforeNextFunction: after.abandoned.cancelled - before.abandoned.cancelled },
      invocations: Object.fromEntries(after.functions.map((f, i) => [f.name, f.invocations - before.functions[i]!.invocations])),
    };
  };
  if (phases.includes('A')) {
  const at4 = await load(4);
  const at200 = await load(200);
  const unexplained = Object.entries(at200.statusCodes).filter(([c]) => !['200', '429', '503'].includes(c)).reduce((s, [, n]) => s + n, 0);
  report.load = { at4, at200, goodputRatio: +(at200.goodputPerSec / at4.goodputPerSec).toFixed(3), errorsOtherThan429or503: unexplained + at200.socketErrors };
  }
  if (phases.includes('C')) {
  // C: a 200 MB body vs a concurrent health check; one body at the model's limit.
  const rss0 = rssMB(proc.pid!);
  const upload = bigUpload(base, `/v2/models/${name}/infer`, 200 * 2 ** 20);
  const health = await healthDuring(base, upload);
  report.bigBody = { ...(await upload), healthMaxMs: health.maxMs, healthChecks: health.checks, gatewayRssMB: { before: +rss0.toFixed(0), after: +rssMB(proc.pid!).toFixed(0) } };
  }
  if (phases.includes('F')) {
  // F: 1000 slow connections (headers never finished).
  const slow: Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < slowCount; i++) {
    const s = connect(Number(new URL(base).port), '127.0.0.1', () => s.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n'));
    s.on('close', () => { closedByServer++; });
    s.resume(); // read (and drop) the 408, or the socket never sees the server's close
    s.on('error', () => {});
    slow.push(s);
  }
  await sleep(2000);
  const healthWhileSlow = await (async () => { const t0 = performance.now(); const r = await httpRequest(`${base}/v2/health/ready`); return { status: r.status, ms: +(performance.now() - t0).toFixed(1) }; })();
  await sleep(12_000);
  report.slowConnections = { opened: slowCount, closedByServerWithin14s: closedByServer, headerTimeoutS: 10, healthWhileOpen: healthWhileSlow };
  for (const s of slow) s.destroy();
  }

  // D: SIGKILL of one host under a steady 4-way load.
  if (phases.includes('D')) {
    const outcomes: Array<{ t: number; status: number; fn?: string }> = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const r = await httpRequest(url, { method: 'POST', body, headers }).catch(() => ({ status: 0, body: Buffer.from('{}') }));
        let fn: string | undefined;
        if (r.status !== 200) { try { fn = JSON.parse(r.body.toString()).function; } catch { /* not JSON */ } }
        outcomes.push({ t: performance.now(), status: r.status, fn });
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    await sleep(1500);
    const victim = hostsOf(proc.pid!)[0]!;
    const tKill = performance.now();
    process.kill(victim, 'SIGKILL');
    await sleep(2500);
    stop = true;
    await Promise.all(workers);
    const failed = outcomes.filter((o) => o.status !== 200);
    const lastFail = failed.length ? Math.max(...failed.map((o) => o.t)) : tKill;
    const firstOkAfter = outcomes.find((o) => o.t > lastFail && o.status === 200);
    report.hostKill = {
      failures: failed.map((o) => ({ status: o.status, function: o.fn })),
      recoveryMs: firstOkAfter ? +(firstOkAfter.t - tKill).toFixed(0) : null,
      okAfterKill: outcomes.filter((o) => o.t > tKill && o.status === 200).length,
    };
  }

  // E: SIGSTOP of a host: requests that reach it end in 504 at the --timeout bound.
  if (phases.includes('E')) {
    const victim = hostsOf(proc.pid!)[0]!;
    process.kill(victim, 'SIGSTOP');
    const results: Array<{ status: number; ms: number; fn?: string; reason?: string }> = [];
    for (let round = 0; round < 3 && !results.some((r) => r.status === 504); round++) {
      results.push(...await Promise.all([0, 1, 2, 3].map(async () => {
        const t0 = performance.now();
        const r = await httpRequest(url, { method: 'POST', body, headers });
        const doc = r.status === 200 ? {} : JSON.parse(r.body.toString());
        return { status: r.status, ms: +(performance.now() - t0).toFixed(0), fn: doc.function, reason: doc.reason };
      })));
    }
    try { process.kill(victim, 'SIGCONT'); } catch { /* killed by the timeout already */ }
    await sleep(500);
    report.hostStop = { boundMs: timeoutS * 1000, timedOut: results.filter((r) => r.status === 504), others: results.filter((r) => r.status !== 504).map((r) => r.status), stoppedHostKilled: !alive(victim) };
  }

  // G: SIGTERM with requests in flight (sent, and given time to reach the gateway).
  if (phases.includes('G')) {
    const hosts = hostsOf(proc.pid!);
    const pid = proc.pid!;
    const inflight = [0, 1, 2, 3, 4, 5, 6, 7].map(() => httpRequest(url, { method: 'POST', body, headers }).then((r) => r.status, (e: Error) => e.message));
    await sleep(300);
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    const t0 = performance.now();
    proc.kill('SIGTERM');
    const statuses = await Promise.all(inflight);
    const code = await exited;
    report.sigterm = {
      inFlightStatuses: statuses, exitCode: code, exitMs: +(performance.now() - t0).toFixed(0),
      left: { processes: hosts.filter(alive).length, segments: segmentsOf(pid).length, cgroups: cgroupsOf(pid).length },
    };
    serve = undefined;
  }

  // H: SIGKILL of the gateway.
  if (phases.includes('H')) {
    const s = await startServe(part);
    const pid = s.proc.pid!;
    const hosts = hostsOf(pid);
    const groupsBefore = cgroupsOf(pid).length;
    const pending = [0, 1, 2, 3].map(() => httpRequest(`${s.base}/v2/models/${name}/infer`, { method: 'POST', body, headers }).catch(() => undefined));
    await sleep(20);
    s.proc.kill('SIGKILL');
    await Promise.all(pending);
    await sleep(3000);
    report.gatewayKill = { cgroupsBefore: groupsBefore, leftAfter3s: { processes: hosts.filter(alive).length, segments: segmentsOf(pid).length, cgroups: cgroupsOf(pid).length } };
  }
} finally {
  if (serve && serve.proc.exitCode === null) serve.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const text = JSON.stringify(report, null, 2);
console.log(text);
if (outFile) writeFileSync(outFile, `${text}\n`);
