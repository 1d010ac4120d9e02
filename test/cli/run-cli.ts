/** Spawns the CLI from source (tsx) as a user would run it; captures stdout, stderr and the exit code. */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const BIN = join(ROOT, 'bin', 'mopar.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT, env: { ...process.env, MOPAR_FROM_SOURCE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mopar ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export interface ServeProcess {
  proc: ChildProcessByStdio<null, Readable, Readable>;
  /** The gateway's base URL, as `serve` prints it. */
  base: string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts `mopar serve ARGS` and resolves once it prints where it listens (rejects if it exits first). */
export async function startServe(args: string[], timeoutMs = 90_000): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: ROOT, env: { ...process.env, MOPAR_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
  const stop = async () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); return exited; };
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), timeoutMs);
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\S+)/.exec(out);
        if (m) { clearTimeout(t); resolve(m[1]!); }
      });
      proc.once('exit', () => { clearTimeout(t); reject(new Error(`serve exited: ${stderr}`)); });
    });
    return { proc, base, stderr: () => stderr, exited, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The function host processes a gateway started (tsx keeps an esbuild service child of its own: not a host). */
export function hostsOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).toString().split('\n')
      .filter((l) => /host-/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0])).filter(Boolean);
  } catch {
    return [];
  }
}

/** cgroup folders named after gateway `pid` under this process's own cpu and memory groups (hosts inherit them). */
export function cgroupsOf(pid: number): string[] {
  const found: string[] = [];
  let lines: string[];
  try { lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n'); } catch { return found; }
  for (const ctl of ['cpu', 'memory']) {
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes(ctl));
    const d = join('/sys/fs/cgroup', ctl, line?.split(':')[2] ?? '/');
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d)) if (e.startsWith(`mopar-${pid}-`)) found.push(join(d, e));
  }
  return found;
}
