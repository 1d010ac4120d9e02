/**
 * cgroup v1 helpers: run a process under a CPU quota and/or a memory limit, read what it used, remove the group.
 * Used by the profiler (latency at 0.25/0.5/1 vCPU) and by the runtime's function sandboxes.
 *
 *   if (cgroupsAvailable().cpu) {
 *     const cg = createCgroup({ vcpu: 0.5, memoryBytes: 512 << 20 });
 *     try { const child = spawnInCgroup(cg, process.execPath, ['host.js']); ...; cg.usage(); }
 *     finally { cg.remove(); }
 *   }
 *
 * Groups are created under the caller's own group of each controller (read from /proc/self/cgroup), so a
 * sandboxed caller stays inside its own limits. Every group created here is also removed at process exit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, errorMessage } from './errors.js';
import { log } from './log.js';

const ROOT = process.env.MOPAR_CGROUP_ROOT ?? '/sys/fs/cgroup';
const CFS_PERIOD_US = 100_000;

export interface CgroupLimits {
  /** CPU share in vCPU (0.25 = a quarter of one core), imposed with cpu.cfs_quota_us. */
  vcpu?: number;
  /** Memory limit (memory.limit_in_bytes); the kernel OOM-kills the group above it. */
  memoryBytes?: number;
  /** cpu.shares: the group's weight against others when CPU is contended (kernel default 1024; needs `vcpu`). */
  cpuShares?: number;
}

export interface CgroupUsage {
  /** memory.max_usage_in_bytes (peak, page cache included) — undefined without the memory controller. */
  maxUsageBytes?: number;
  /** memory.failcnt: times the limit was hit. */
  failcnt?: number;
  /** cpuacct.usage-like CPU time from cpu.stat is not read: wall time under quota is what we measure. */
}

export interface Cgroup {
  /** Leaf name shared by all controllers, e.g. 'mopar-1234-1'. */
  readonly name: string;
  /** Absolute directory per controller in use. */
  readonly dirs: { cpu?: string; memory?: string };
  /** Moves a running process (and its future children) into the group. */
  addPid(pid: number): void;
  /** Sets cpu.shares (a weight under contention, 2–262144); no-op without the cpu controller. */
  setCpuShares(shares: number): void;
  usage(): CgroupUsage;
  /** Kills any processes left inside and removes the directories. Safe to call twice. */
  remove(): void;
}

export interface CgroupSupport {
  cpu: boolean;
  memory: boolean;
  /** Why a controller is unusable (for a logged note). */
  reason?: string;
}

let support: CgroupSupport | undefined;

/** Whether cgroup v1 cpu / memory controllers are mounted and writable here (checked once, by a probe group). */
export function cgroupsAvailable(): CgroupSupport {
  if (support) return support;
  const probe = (ctl: 'cpu' | 'memory'): string | undefined => {
    const parent = ownDir(ctl);
    if (!parent) return `${ctl} controller (cgroup v1) not mounted under ${ROOT}`;
    const dir = join(parent, `mopar-probe-${process.pid}`);
    try {
      accessSync(parent, constants.W_OK);
      mkdirSync(dir);
      rmdirSync(dir);
      return undefined;
    } catch (err) {
      return `${dir}: ${errorMessage(err)}`;
    }
  };
  const cpuWhy = probe('cpu');
  const memWhy = probe('memory');
  support = { cpu: !cpuWhy, memory: !memWhy, reason: [cpuWhy, memWhy].filter(Boolean).join('; ') || undefined };
  sweepOrphanCgroups();
  return support;
}

/**
 * Removes groups left by mopar processes that died without cleaning up (SIGKILL, a crash): empty `mopar-PID-N`
 * directories whose PID is gone. A group that still holds tasks is left alone.
 */
export function sweepOrphanCgroups(): void {
  for (const ctl of ['cpu', 'memory'] as const) {
    const parent = ownDir(ctl);
    if (!parent) continue;
    let entries: string[];
    try { entries = readdirSync(parent); } catch { continue; }
    for (const e of entries) {
      const m = /^mopar-(?:probe-)?(\d+)(?:-\d+)?$/.exec(e);
      if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
      try { rmdirSync(join(parent, e)); } catch { /* not empty or already gone: leave it */ }
    }
  }
}

/**
 * For a process inside a group of a mopar process that died (SIGKILL): moves itself to the parent group and
 * removes its own group, for each controller where its group's name is `mopar-<ownerPid>-N`. Returns how many
 * groups were removed. Used by function hosts whose gateway is gone, so nothing waits for the next sweep.
 */
export function leaveOwnerGroup(ownerPid: number): number {
  let removed = 0;
  for (const ctl of ['cpu', 'memory'] as const) {
    const dir = ownDir(ctl);
    if (!dir || !new RegExp(`^mopar-${ownerPid}-\\d+$`).test(dir.split('/').pop() ?? '')) continue;
    try {
      // Children of this host live in its group too (tsx's esbuild service when run from source): a group with
      // members cannot be removed, so every member moves to the parent with this process.
      const parentProcs = join(dir, '..', 'cgroup.procs');
      writeFileSync(parentProcs, String(process.pid));
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { writeFileSync(parentProcs, pid); } catch { /* exited meanwhile */ }
      }
      rmdirSync(dir);
      removed++;
    } catch { /* not ours to move: the next sweep removes it */ }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

let counter = 0;
const live = new Set<Cgroup>();
let exitHookInstalled = false;

/** Creates a group with the given limits. Throws a MoparError when a needed controller is not writable. */
export function createCgroup(limits: CgroupLimits, name = `mopar-${process.pid}-${++counter}`): Cgroup {
  const s = cgroupsAvailable();
  if (limits.vcpu !== undefined && !s.cpu) throw new MoparError(`cannot impose a CPU quota: ${s.reason}`);
  if (limits.memoryBytes !== undefined && !s.memory) throw new MoparError(`cannot impose a memory limit: ${s.reason}`);
  if (limits.vcpu !== undefined && !(limits.vcpu > 0)) throw new MoparError(`CPU quota must be > 0 vCPU, got ${limits.vcpu}`);
  if (limits.memoryBytes !== undefined && !(limits.memoryBytes >= 4096)) {
    throw new MoparError(`memory limit must be at least 4096 bytes, got ${limits.memoryBytes}`);
  }
  const dirs: { cpu?: string; memory?: string } = {};
  // The memory controller is always attached when writable, so that usage() can report the peak.
  const want: Array<'cpu' | 'memory'> = [];
  if (limits.vcpu !== undefined) want.push('cpu');
  if (s.memory) want.push('memory');
  const cg: Cgroup = {
    name, dirs,
    addPid(pid) {
      for (const d of Object.values(dirs)) writeFileSync(join(d, 'cgroup.procs'), String(pid));
    },
    setCpuShares(shares) {
      if (dirs.cpu) writeFileSync(join(dirs.cpu, 'cpu.shares'), String(Math.min(262_144, Math.max(2, Math.round(shares)))));
    },
    usage() {
      if (!dirs.memory) return {};
      return {
        maxUsageBytes: readNumber(join(dirs.memory, 'memory.max_usage_in_bytes')),
        failcnt: readNumber(join(dirs.memory, 'memory.failcnt')),
      };
    },
    remove() {
      for (const d of Object.values(dirs)) killMembers(d);
      for (const [ctl, d] of Object.entries(dirs)) {
        if (!existsSync(d)) continue;
        evacuate(d, join(d, '..'));
        try { rmdirSync(d); } catch (err) { log(`note: could not remove cgroup ${d}: ${errorMessage(err)}`); }
        delete dirs[ctl as 'cpu' | 'memory'];
      }
      live.delete(cg);
    },
  };
  try {
    for (const ctl of want) {
      const d = join(ownDir(ctl)!, name);
      mkdirSync(d);
      dirs[ctl] = d;
    }
    live.add(cg);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      const cleanup = () => { for (const c of [...live]) c.remove(); };
      process.on('exit', cleanup);
      // A signal skips 'exit' handlers: clean up, then die as the signal would have — unless someone else handles
      // it (e.g. `serve` draining in-flight requests, whose instances must live until then; 'exit' cleans up).
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.on(sig, () => {
          if (process.listenerCount(sig) > 1) return;
          cleanup();
          process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
        });
      }
    }
    if (dirs.cpu && limits.vcpu !== undefined) {
      writeFileSync(join(dirs.cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      writeFileSync(join(dirs.cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.vcpu * CFS_PERIOD_US))));
      if (limits.cpuShares !== undefined) cg.setCpuShares(limits.cpuShares);
    }
    if (dirs.memory && limits.memoryBytes !== undefined) {
      writeFileSync(join(dirs.memory, 'memory.limit_in_bytes'), String(Math.round(limits.memoryBytes)));
    }
  } catch (err) {
    cg.remove();
    throw err instanceof MoparError ? err : new MoparError(`could not set up cgroup '${name}': ${errorMessage(err)}`);
  }
  return cg;
}

/**
 * Spawns `command args` already inside the group: a shell writes its own pid into cgroup.procs and then execs
 * the command, so not one instruction of the child runs outside the limits.
 */
export function spawnInCgroup(cg: Cgroup, command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const files = Object.values(cg.dirs).map((d) => join(d, 'cgroup.procs'));
  const enter = files.map((f) => `echo $$ > '${f.replace(/'/g, `'\\''`)}'`).join(' && ');
  const script = `${enter || 'true'} && exec "$0" "$@"`;
  return spawn('/bin/sh', ['-c', script, command, ...args], opts);
}

/** The caller's own directory for a v1 controller, e.g. /sys/fs/cgroup/memory/process_api/abc. */
function ownDir(ctl: 'cpu' | 'memory'): string | undefined {
  const mount = join(ROOT, ctl);
  if (!existsSync(join(mount, 'cgroup.procs'))) return undefined;
  let rel = '/';
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, ctls, path] = line.split(':');
      if (ctls && path && ctls.split(',').includes(ctl)) rel = path;
    }
  } catch { /* not Linux: keep the mount root */ }
  const dir = join(mount, rel);
  return existsSync(dir) ? dir : mount;
}

function members(dir: string): number[] {
  try { return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { return []; }
}

function killMembers(dir: string): void {
  for (const pid of members(dir)) {
    if (pid === process.pid) continue;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

function evacuate(dir: string, parent: string): void {
  for (const pid of members(dir)) {
    try { writeFileSync(join(parent, 'cgroup.procs'), String(pid)); } catch { /* it exited meanwhile */ }
  }
}

function readNumber(file: string): number | undefined {
  try { return Number(readFileSync(file, 'utf8').trim()); } catch { return undefined; }
}
