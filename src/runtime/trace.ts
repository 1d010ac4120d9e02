/**
 * Per-phase timing of one inference request at the gateway (issue 28): where the milliseconds between a bare
 * onnxruntime session and a served request go. Measured on every request (a few performance.now() calls); shown by
 * `serve --trace` (one log line per request), the `mopar_request_phase_seconds{phase}` histogram and, when a
 * request sends `x-mopar-trace: 1`, the `x-mopar-trace` response header.
 */
import type { FunctionCall } from './model.js';

/**
 * In request order. Host-side phases (shm_copy, run, host_encode) and the IPC legs are summed over the request's
 * function calls (a 3-function chain has 3 of each); `admit` includes the wait for a free instance.
 */
export const PHASES = ['read', 'parse', 'admit', 'dispatch', 'ipc_send', 'shm_copy', 'run', 'host_encode', 'ipc_recv', 'collect', 'encode', 'write'] as const;
export type Phase = (typeof PHASES)[number];

export class RequestTrace {
  readonly ms: Record<Phase, number> = { read: 0, parse: 0, admit: 0, dispatch: 0, ipc_send: 0, shm_copy: 0, run: 0, host_encode: 0, ipc_recv: 0, collect: 0, encode: 0, write: 0 };
  private last: number;
  constructor(readonly t0 = performance.now()) {
    this.last = t0;
  }

  /** Ends `phase` now: the time since the previous mark is added to it. */
  mark(phase: Phase): void {
    const now = performance.now();
    this.ms[phase] += now - this.last;
    this.last = now;
  }

  /** Skips the time since the previous mark (it belongs to phases accounted from their own measurements). */
  skip(): void {
    this.last = performance.now();
  }

  /**
   * Adds the function calls' phases. The IPC legs: the round trip minus the host's own time, split at the host's
   * receive stamp (both clocks are performance.timeOrigin-based wall time on one machine; clamped so a skew of the
   * two origins cannot make a leg negative).
   */
  addCalls(calls: readonly FunctionCall[]): void {
    for (const c of calls) {
      const s = c.stats;
      this.ms.admit += c.waitMs;
      this.ms.shm_copy += s.decodeMs;
      this.ms.run += s.runMs;
      this.ms.host_encode += Math.max(0, s.hostMs - s.runMs - s.decodeMs);
      const ipc = Math.max(0, c.ms - c.waitMs - s.hostMs);
      const send = c.ipc ? Math.min(ipc, Math.max(0, c.ipc.sendMs)) : ipc / 2;
      this.ms.ipc_send += send;
      this.ms.ipc_recv += ipc - send;
    }
  }

  /** Milliseconds since the request's start. */
  get totalMs(): number {
    return performance.now() - this.t0;
  }

  /** `phase=ms;…` with 3 decimals, phases that took no time left out (the x-mopar-trace header and the log line). */
  text(totalMs = this.totalMs): string {
    const parts = PHASES.filter((p) => this.ms[p] > 0).map((p) => `${p}=${this.ms[p].toFixed(3)}`);
    parts.push(`total=${totalMs.toFixed(3)}`);
    return parts.join(';');
  }
}

/** Parses an `x-mopar-trace` header value back into milliseconds per phase (clients, benches, tests). */
export function parseTrace(text: string): Partial<Record<Phase | 'total', number>> {
  const out: Partial<Record<Phase | 'total', number>> = {};
  for (const part of text.split(';')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k as Phase] = Number(v);
  }
  return out;
}
