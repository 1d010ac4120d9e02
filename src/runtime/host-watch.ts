/**
 * A function host's watch on its gateway, loaded with `node --import` before host-main (host-entry.ts), so it runs
 * before the host's first own instruction: before onnxruntime's native library loads and long before the session
 * exists. A gateway killed with SIGKILL cannot stop its hosts nor remove their cgroups and its segments; a host
 * that only watched once loaded went on loading for seconds, and exited later without removing its groups.
 *
 * The host that outlives its gateway removes what the gateway would have: the gateway's shared-memory segments
 * and the host's own cgroup directories. A process cannot rmdir the group it is in, so the host first moves
 * itself (and anything it started) to the parent group, then removes its group and exits at once: synchronous,
 * no extra process to start on a machine that may be out of memory or CPU, and nothing left running outside the
 * limits but the few instructions up to exit. A detached reaper would outlive the host but could itself be
 * killed or never scheduled; what this misses (a host killed before its first instruction) is an empty group of
 * a dead pid, which the next `serve` sweeps (core/cgroup.ts sweepOrphanCgroups).
 */
import { readFileSync } from 'node:fs';
import { leaveOwnerGroup } from '../core/index.js';
import { removeSegmentsOf } from './segments.js';

/** The gateway's pid, from the environment: if it died before this host ran, process.ppid is already init's. */
const gatewayPid = Number(process.env.MOPAR_GATEWAY_PID) || process.ppid;
/** How often the parent is checked besides the IPC disconnect (a getppid() call: next to free). */
const POLL_MS = 200;
/** After a disconnect, how long to wait to see the gateway gone (the kernel closes its socket before reparenting). */
const DISCONNECT_GRACE_MS = 2000;

/** The gateway has exited (this host was reparented, or the gateway is a zombie or gone). */
export function gatewayGone(): boolean {
  if (process.ppid !== gatewayPid) return true;
  try {
    // /proc/PID/stat: "pid (comm) S ..." — the state letter after the last ')'.
    const stat = readFileSync(`/proc/${gatewayPid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

function leave(segments: boolean): never {
  // A plain disconnect while the gateway lives (not seen gone in time) leaves its segments alone.
  if (segments) removeSegmentsOf(gatewayPid);
  leaveOwnerGroup(gatewayPid);
  process.exit(0);
}

const key = Symbol.for('mopar.hostWatch');
const g = globalThis as { [key]?: boolean };
if (!g[key]) {
  g[key] = true;
  if (gatewayGone() || (process.channel !== undefined && !process.connected)) leave(true);
  setInterval(() => { if (process.ppid !== gatewayPid) leave(true); }, POLL_MS).unref();
  process.on('disconnect', () => {
    const t0 = Date.now();
    const check = () => {
      if (gatewayGone()) leave(true);
      if (Date.now() - t0 > DISCONNECT_GRACE_MS) leave(false);
      setTimeout(check, 10);
    };
    check();
  });
}
