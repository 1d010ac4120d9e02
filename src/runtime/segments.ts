/**
 * Shared-memory segments: files in /dev/shm named by the gateway (so it can always remove them, even when the
 * host that was writing one crashed), prefixed with the gateway's pid so that segments left by a gateway that
 * died are swept on the next start.
 */
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHM_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const PREFIX = 'mopar-';

let counter = 0;

export function segmentPath(tag: string): string {
  return join(SHM_DIR, `${PREFIX}${process.pid}-${(++counter).toString(36)}-${tag.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}`);
}

export function removeSegment(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (never written, or a consumer-side cleanup got there first).
  }
}

/** This process's segments still on disk (tests use it to prove there are no leaks). */
export function ownSegments(pid = process.pid): string[] {
  const mine = `${PREFIX}${pid}-`;
  return safeList().filter((f) => f.startsWith(mine)).map((f) => join(SHM_DIR, f));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes segments of gateways that are no longer running; returns how many. */
export function sweepStaleSegments(): number {
  let n = 0;
  for (const f of safeList()) {
    const m = /^mopar-(\d+)-/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !alive(pid)) {
      removeSegment(join(SHM_DIR, f));
      n++;
    }
  }
  return n;
}

/** Removes every segment named by gateway `pid` (a host whose gateway was killed cleans up after it). */
export function removeSegmentsOf(pid: number): number {
  const prefix = `${PREFIX}${pid}-`;
  let n = 0;
  for (const f of safeList()) if (f.startsWith(prefix)) { removeSegment(join(SHM_DIR, f)); n++; }
  return n;
}


function safeList(): string[] {
  try {
    return readdirSync(SHM_DIR);
  } catch {
    return [];
  }
}
