/**
 * Goodput under overload (issue 26 item 7): `mopar serve` (the CLI, default settings unless --serve-args) on a
 * 3-function chain, driven by closed-loop clients on 127.0.0.1 (autocannon: each connection sends its next request
 * when the last is answered, and ignores Retry-After), first with a light load, then with an overload. Goodput =
 * 200 answers per second. Also where the CPU went (the gateway process and the function hosts, from /proc), the
 * load average and the CPU model, since the figures are only comparable on one machine in one run.
 *
 *   node --import tsx bench/overload.ts [--light 4] [--heavy 200] [--seconds 15] [--warmup 5]
 *        [--model mobilenetv2] [--dir BUILT_DIR] [--serve-args "--queue 64"] [--json]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN = join(ROOT, 'bin', 'mopar.js');
const opt = (k: string, d: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1]! : d; };
const light = Math.min(1000, Number(opt('--light', '4')));
const heavy = Math.min(1000, Number(opt('--heavy', '200')));
const seconds = Math.min(120, Number(opt('--seconds', '15')));
const warmup = Math.min(60, Number(opt('--warmup', '5')));
const modelName = opt('--model', 'mobilenetv2');
const serveArgs = opt('--serve-args', '').split(/\s+/).filter(Boolean);

type R = { errors: number; timeouts: number; non2xx: number; statusCodeStats: Record<string, { count: number }>; '2xx': number; requests: { total: number; average: number }; latency: { p50: number; p99: number; max: number } };
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<R>;

const mopar = (args: string[]) => execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });

/** CPU seconds (user + system) used so far by `pid` (and, with `children`, its live children's). */
function cpuSeconds(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return 0; }
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'mopar-bench-overload-'));
let serve: ReturnType<typeof spawn> | undefined;
try {
  let built = opt('--dir', '');
  if (!built) {
    const model = join(dir, 'm.onnx');
    mopar(['zoo', 'build', modelName, '--tiny', '-o', model]);
    built = join(dir, 'parts');
    mopar(['partition', model, '-o', built, '--strategy', 'uniform:3', '--slo-ms', '1000']);
  }
  if (!existsSync(join(built, 'manifest.json'))) throw new Error(`${built}: no manifest.json`);
  const manifest = JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')) as { model: string; inputs: string[]; tensors: Record<string, { shape: number[] }>; functions: unknown[] };

  serve = spawn(process.execPath, [BIN, 'serve', built, '--port', '0', ...serveArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  serve.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 120_000);
    serve!.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /listening (\S+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]!); } });
    serve!.once('exit', (c) => reject(new Error(`serve exited ${c}: ${stderr}`)));
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`refusing to load ${base}: 127.0.0.1 only`);
  const gw = serve.pid!;

  // One JSON request (a client's usual form), random values of the declared shape.
  const body = JSON.stringify({
    inputs: manifest.inputs.map((name) => {
      const shape = manifest.tensors[name]!.shape.map((d) => (d > 0 ? d : 1));
      const n = shape.reduce((a, b) => a * b, 1);
      return { name, datatype: 'FP32', shape, data: Array.from({ length: n }, () => Math.round((Math.random() - 0.5) * 1e4) / 1e4) };
    }),
  });
  const url = `${base}/v2/models/${manifest.model}/infer`;
  const run = async (connections: number, duration: number) => {
    const hostsBefore = childrenOf(gw);
    const c0 = { gw: cpuSeconds(gw), hosts: hostsBefore.reduce((a, p) => a + cpuSeconds(p), 0) };
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration });
    const wall = (performance.now() - t0) / 1000;
    // Hosts started during the run count from 0; hosts that exited during it are missed (rare under load).
    const hosts = childrenOf(gw);
    const hostCpu = hosts.reduce((a, p) => a + cpuSeconds(p), 0) - c0.hosts;
    const statuses: Record<string, number> = {};
    for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = v.count;
    return {
      connections, seconds: +wall.toFixed(1), goodputPerS: +((statuses['200'] ?? 0) / wall).toFixed(1), statuses,
      errors: r.errors, timeouts: r.timeouts, latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      cpu: {
        gatewayCoresBusy: +((cpuSeconds(gw) - c0.gw) / wall).toFixed(2), hostsCoresBusy: +(hostCpu / wall).toFixed(2), hosts: hosts.length,
        // The clients run on the same cores: their share is part of the picture.
        clientsCoresBusy: +(((u) => (u.user + u.system) / 1e6)(process.cpuUsage(self0)) / wall).toFixed(2),
      },
      loadavg: loadavg().map((l) => +l.toFixed(2)),
    };
  };
  await run(light, warmup); // instances loaded, caches warm
  const a = await run(light, seconds);
  const b = await run(heavy, seconds);
  const ratio = b.goodputPerS / a.goodputPerS;
  const report = {
    model: `${modelName} (tiny), ${manifest.functions.length} functions`, serveArgs: serveArgs.join(' ') || '(defaults)',
    cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`, light: a, heavy: b, ratio: +ratio.toFixed(3),
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`model ${report.model}; serve ${report.serveArgs}; CPU ${report.cpu}`);
    for (const x of [a, b]) {
      console.log(`${String(x.connections).padStart(4)} connections: goodput ${x.goodputPerS} req/s over ${x.seconds} s; statuses ${JSON.stringify(x.statuses)}; errors ${x.errors}; p50 ${x.latencyMs.p50} ms, p99 ${x.latencyMs.p99} ms; CPU: gateway ${x.cpu.gatewayCoresBusy} cores, ${x.cpu.hosts} hosts ${x.cpu.hostsCoresBusy}, clients ${x.cpu.clientsCoresBusy}; loadavg ${x.loadavg.join(' ')}`);
    }
    console.log(`goodput ratio ${heavy} vs ${light} connections: ${report.ratio}× (target ≥ 0.8)`);
  }
} finally {
  if (serve && serve.exitCode === null) {
    const gone = new Promise((r) => serve!.once('exit', r));
    serve.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
}
