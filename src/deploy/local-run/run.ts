/**
 * `mopar local-run OUT`: runs a deploy output folder on this machine from its generated files — each function's
 * folder copied as its image or zip holds it, its dependencies installed beside it, started by the command its
 * image or runtime starts (OpenFaaS: the template's index.js with the folder as function/; Knative: server.js on
 * $PORT; Lambda: handler.js under lambda-local, the state machine interpreted here), each process under its
 * function's memory limit and CPU quota where cgroups allow. A front server on 127.0.0.1:P is the platform's
 * router: the entry's Open Inference Protocol at /, OpenFaaS's /function/NAME routes, a Lambda function URL.
 *
 * What it cannot be: the platform. No IAM or auth, no real network between functions, no autoscaling (one
 * instance per function), no of-watchdog or queue-proxy in front of a function, no Lambda payload limits other
 * than the function URL's 6 MB request limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { MoparError, cgroupsAvailable, createCgroup, spawnInCgroup, type Cgroup } from '../../core/index.js';
import { ensureBucket, s3Store, startLocalS3, type LocalS3 } from '../../runtime/index.js';
import type { DeployTarget } from '../types.js';
import { checkSupported } from './asl.js';
import { copyFolder, installDependencies, type InstallMode } from './install.js';
import { readLayout, STACK_BUCKET, type LocalFunction, type LocalLayout } from './layout.js';
import { AWS_ENV, sendJson, type Handler, type StartProcess, type Started } from './common.js';
import { startLambda } from './lambda.js';

export interface LocalRunOptions {
  port?: number;
  host?: string;
  install?: InstallMode;
  /** Enforce each function's memory limit and CPU quota with cgroups (where available). */
  limits?: boolean;
  /** Where the functions' own output and local-run's notes go (default: dropped). */
  log?: (line: string) => void;
  /** How long a function may take to answer its health route (or finish its init) after start. */
  readyTimeoutMs?: number;
  /** Aborted (a SIGTERM while starting): everything started so far is stopped and removed, and the call rejects. */
  signal?: AbortSignal;
}

export interface LocalRun {
  url: string;
  target: DeployTarget;
  model: string;
  /**
   * Per function: how long from its process start until it answered (or finished its init), ms; `url`: its own
   * server (OpenFaaS, Knative: what the platform's router forwards to), absent for Lambda.
   */
  functions: Array<{ name: string; entry: boolean; readyMs: number; limited: boolean; url?: string }>;
  /** From the call until the entry answered, ms. */
  startMs: number;
  notes: string[];
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Forwards a request to 127.0.0.1:port at `path`, streaming both ways. */
function proxy(req: IncomingMessage, res: ServerResponse, port: number, path: string, what: string): void {
  const up = httpRequest({ host: '127.0.0.1', port, method: req.method, path, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => sendJson(res, 502, { error: `function '${what}' is not answering` }));
  req.pipe(up);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * deploy --weights s3: the slices fetch their model files at start from a bucket (the stack's on Lambda, the
 * --weights-bucket elsewhere). Here that bucket lives in a local S3 server, filled from OUT/weights/ (the object
 * keys, as the deploy README's upload command would write them); the functions reach it through the same
 * environment variables they read on the platform.
 */
async function stageWeights(out: string, s3: LocalS3, bucket: string): Promise<number> {
  const dir = join(out, 'weights');
  if (!existsSync(dir)) return 0;
  await ensureBucket(s3.direct, bucket);
  const store = s3Store(s3.direct);
  const files = filesUnder(dir);
  for (const f of files) await store.put(bucket, relative(out, f), readFileSync(f));
  return files.length;
}

export async function localRun(outArg: string, opts: LocalRunOptions = {}): Promise<LocalRun> {
  const t0 = performance.now();
  const out = resolve(outArg);
  const layout = readLayout(out);
  if (layout.machine) checkSupported(layout.machine);
  const log = opts.log ?? (() => {});
  const notes: string[] = [];
  const support = cgroupsAvailable();
  const limits = (opts.limits ?? true) && support.cpu && support.memory;
  if ((opts.limits ?? true) && !limits) notes.push(`functions run without their memory limits and CPU quotas: cgroups are not usable here (${support.reason ?? 'cpu or memory controller missing'})`);
  const pipeline = JSON.parse(readFileSync(join(layout.functions.find((f) => f.entry)!.dir, 'pipeline.json'), 'utf8')) as { batching?: unknown };
  if (pipeline.batching && layout.target === 'lambda') notes.push('batching (SQS and the BatchFront function) is not run locally: requests naming an application are not batched');

  const root = mkdtempSync(join(tmpdir(), 'mopar-local-run-'));
  const started: Started[] = [];
  const cgroups: Cgroup[] = [];
  const servers: Server[] = [];
  let s3: LocalS3 | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of started) { try { s.child.kill('SIGKILL'); } catch { /* gone */ } }
    await Promise.all(started.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? new Promise((r) => s.child.once('exit', r)) : undefined)));
    // Every step runs even if one fails: a cgroup that will not go must not keep the folder or the servers.
    for (const cg of cgroups) { try { cg.remove(); } catch (err) { log(`local-run: ${(err as Error).message}`); } }
    await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
    await s3?.close().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  };

  /** Starts one function's process (inside its cgroup where possible); its output goes to `log`. */
  const startProcess = (fn: LocalFunction, args: string[], cwd: string, env: Record<string, string>, ipc: boolean): Started => {
    if (closed) throw new MoparError('local-run: stopped before every function was ready; everything it started is removed');
    const spawnOpts = { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])] as ('ignore' | 'pipe' | 'ipc')[] };
    let child: ChildProcess;
    let limited = false;
    if (limits && (fn.memoryMB || fn.vcpu)) {
      const cg = createCgroup({ ...(fn.vcpu ? { vcpu: fn.vcpu } : {}), ...(fn.memoryMB ? { memoryBytes: fn.memoryMB * 2 ** 20 } : {}) });
      cgroups.push(cg);
      child = spawnInCgroup(cg, process.execPath, args, spawnOpts);
      limited = true;
    } else {
      child = spawn(process.execPath, args, spawnOpts);
    }
    const s: Started = { fn, child, readyMs: 0, limited, tail: [] };
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        log(`[${fn.name}] ${line}`);
        s.tail.push(line);
        if (s.tail.length > 20) s.tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    started.push(s);
    return s;
  };

  const exitedError = (s: Started) => new MoparError(`local-run: function '${s.fn.name}' exited (${s.child.exitCode ?? s.child.signalCode}) before it was ready${s.tail.length ? `: ${s.tail.slice(-3).join(' | ')}` : ''}`);

  /** Polls the function's health route until it answers 200. */
  const waitHttp = async (s: Started, t: number): Promise<void> => {
    const deadline = performance.now() + (opts.readyTimeoutMs ?? 60_000);
    while (performance.now() < deadline) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) throw exitedError(s);
      const ok = await new Promise<boolean>((res) => {
        const r = httpRequest({ host: '127.0.0.1', port: s.port, path: '/v2/health/ready', method: 'GET', timeout: 1000 }, (x) => { x.resume(); res(x.statusCode === 200); });
        r.on('error', () => res(false));
        r.on('timeout', () => { r.destroy(); res(false); });
        r.end();
      });
      if (ok) { s.readyMs = performance.now() - t; return; }
      await sleep(50);
    }
    throw new MoparError(`local-run: function '${s.fn.name}' did not answer its health route within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s`);
  };

  const stoppedError = () => new MoparError('local-run: stopped before every function was ready; everything it started is removed');
  /** After a stop (close() ran), a start step still in flight must not leave something new behind. */
  const isStopped = () => closed;
  // A stop while starting rejects at once, whatever step is pending (a server not yet listening never calls back).
  let onAbort = () => {};
  const abortion = new Promise<never>((_, rej) => {
    onAbort = () => rej(stoppedError());
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  abortion.catch(() => {});
  const startup = async (): Promise<LocalRun> => {
    const front = createServer();
    servers.push(front);
    await new Promise<void>((res, rej) => {
      front.once('error', (err: NodeJS.ErrnoException) => rej(new MoparError(`cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}: ${err.code ?? err.message}`)));
      front.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => res());
    });
    const bound = front.address() as AddressInfo;
    // Where functions (and the printed URL) reach the front: the address it bound, loopback for a wildcard.
    const reachable = bound.address === '0.0.0.0' || bound.address === '::' ? '127.0.0.1' : bound.address;
    const frontUrl = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${bound.port}`;
    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => sendJson(res, 503, { error: 'local-run is still starting' });
    front.on('request', (req, res) => {
      try { handle(req, res); } catch (err) { sendJson(res, 500, { error: (err as Error).message }); }
    });

    // An S3 server on 127.0.0.1 for what the deployment keeps in a bucket: Lambda's staged tensors, and the
    // weights of a --weights s3 deployment (any target).
    const weightsBucket = layout.functions.map((f) => f.env.MOPAR_WEIGHTS_BUCKET).find((b) => b && b !== STACK_BUCKET);
    let storeEnv: Record<string, string> = {};
    if (layout.target === 'lambda' || existsSync(join(out, 'weights'))) {
      const store = await startLocalS3({ latencyMs: 0, bandwidthMBps: 0 }, { bucket: layout.target === 'lambda' ? 'mopar-local-staging' : weightsBucket ?? 'mopar-weights' });
      if (isStopped()) { await store.close(); throw stoppedError(); }
      s3 = store;
      const n = await stageWeights(out, s3, s3.bucket);
      if (n) notes.push(`${n} weight object(s) from weights/ uploaded to a local S3 server (bucket '${s3.bucket}'), fetched by the slices at start`);
      storeEnv = { ...AWS_ENV, MOPAR_S3_ENDPOINT: s3.direct.endpoint!, MOPAR_SECRETS_DIR: join(root, 'no-secrets') };
    }
    if (layout.target === 'lambda') handle = await startLambda(layout, root, opts.install ?? 'link', startProcess, exitedError, s3!, storeEnv, servers, isStopped, opts.readyTimeoutMs);
    else handle = await startHttp(layout, root, opts.install ?? 'link', frontUrl, startProcess, waitHttp, storeEnv);

    const url = frontUrl;
    return {
      url, target: layout.target, model: layout.model, notes, close,
      functions: started.map((s) => ({ name: s.fn.name, entry: s.fn.entry, readyMs: s.readyMs, limited: s.limited, ...(s.port ? { url: `http://127.0.0.1:${s.port}` } : {}) })),
      startMs: performance.now() - t0,
    };
  };
  const starting = startup();
  try {
    return await Promise.race([starting, abortion]);
  } catch (err) {
    await close();
    // A step that was in flight (copying a folder, installing) may still write into the run folder: once it has
    // given up (every start refuses after close), or after a bound, remove the folder again.
    await Promise.race([starting.catch(() => {}), sleep(5000)]);
    rmSync(root, { recursive: true, force: true });
    if (opts.signal?.aborted) throw stoppedError();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** OpenFaaS and Knative: one HTTP server per function; the front routes as the platform's gateway does. */
async function startHttp(layout: LocalLayout, root: string, install: InstallMode, frontUrl: string, start: StartProcess, waitHttp: (s: Started, t: number) => Promise<void>,
  storeEnv: Record<string, string>): Promise<Handler> {
  const ports = new Map<string, number>();
  for (const fn of layout.functions) ports.set(fn.name, await freePort());
  const urlFor = (value: string): string => {
    // The entry reaches each slice at a platform URL: OpenFaaS's gateway (/function/NAME) or a Knative
    // Service's cluster address (NAME.NAMESPACE.svc…); here, the front (OpenFaaS) or the slice's own port.
    let u: URL;
    try { u = new URL(value); } catch { return value; }
    if (layout.target === 'openfaas') {
      const m = /^\/function\/([^/]+)/.exec(u.pathname);
      return m ? `${frontUrl}/function/${m[1]}` : value;
    }
    const port = ports.get(u.hostname.split('.')[0]!);
    return port ? `http://127.0.0.1:${port}` : value;
  };
  const waits: Promise<void>[] = [];
  for (const fn of layout.functions) {
    const env = { ...Object.fromEntries(Object.entries(fn.env).map(([k, v]) => [k, k.startsWith('MOPAR_URL_') ? urlFor(v) : v])), ...(fn.env.MOPAR_WEIGHTS_BUCKET ? storeEnv : {}) };
    const port = ports.get(fn.name)!;
    let s: Started;
    const t = performance.now();
    if (layout.target === 'openfaas') {
      // The image: the template's index.js in the app folder, the function's folder as function/ with its
      // dependencies installed in it (the Dockerfile's WORKDIR for npm install).
      const app = join(root, fn.name);
      copyFolder(fn.dir, join(app, 'function'));
      copyFileSync(join(layout.template!, 'index.js'), join(app, 'index.js'));
      installDependencies(join(app, 'function'), install);
      s = start(fn, ['index.js'], app, { ...env, http_port: String(port) }, false);
    } else {
      const app = join(root, fn.name);
      copyFolder(fn.dir, app);
      installDependencies(app, install);
      s = start(fn, ['server.js'], app, { ...env, PORT: String(port) }, false);
    }
    s.port = port;
    waits.push(waitHttp(s, t));
  }
  await Promise.all(waits);
  const entry = layout.functions.find((f) => f.entry)!;
  const entryPort = ports.get(entry.name)!;
  return (req, res) => {
    const m = layout.target === 'openfaas' ? /^\/function\/([^/?]+)(.*)$/.exec(req.url ?? '/') : null;
    if (m) {
      const port = ports.get(m[1]!);
      if (!port) { sendJson(res, 404, { error: `no function '${m[1]!.slice(0, 100)}'` }); return; }
      proxy(req, res, port, m[2]!.startsWith('/') ? m[2]! : `/${m[2]!}`, m[1]!);
      return;
    }
    proxy(req, res, entryPort, req.url ?? '/', entry.name);
  };
}

/** Whether `dir` looks like a deploy output folder (for the CLI's error messages). */
export function isDeployOutput(dir: string): boolean {
  return existsSync(join(dir, '.mopar-deploy'));
}
