/**
 * Admission of calls to a function's pool: how many may wait for an instance (the automatic queue bound), and
 * the errors a call is refused, shed or dropped with (their HTTP status is v2-router.ts's statusOf). Apart from
 * pool.ts so that the router reaches these errors without the pool and its instances.
 */
import { MoparError } from '../core/index.js';

/**
 * The automatic queue bound. Under overload, closed-loop clients refused at once come straight back: with a fixed
 * queue of 64, 200 connections spent the gateway's CPU on a 429 storm (≈2000/s) and goodput fell to a tenth of a
 * light load's. A waiting request costs next to nothing (its body is not even read past the first function's
 * queue check), so the queue holds what can be served within the queue timeout anyway — a longer queue would only
 * turn into 503s at the timeout — and refuses beyond it. `floor`: the bound before anything was measured (the old
 * default; never smaller); `cap`: what one function may hold at most, whatever its speed (memory: parsed bodies).
 * Mutable for tests only.
 */
export const AUTO_QUEUE = { floor: 64, cap: 1024 };

/**
 * Calls that may wait when `throughputPerS` are served (undefined: not measured yet) and a call may wait `waitMs`.
 */
export function autoQueueBound(throughputPerS: number | undefined, waitMs: number): number {
  if (throughputPerS === undefined || !(throughputPerS > 0)) return AUTO_QUEUE.floor;
  return Math.min(AUTO_QUEUE.cap, Math.max(AUTO_QUEUE.floor, Math.floor(throughputPerS * waitMs / 1000)));
}

/** Too many requests waiting (HTTP 429) or waited too long (HTTP 503). */
export class SaturatedError extends MoparError {
  /** `retryAfterS`: when a retry may find room (the Retry-After header; the gateway's default without it). */
  constructor(message: string, readonly status: 429 | 503, readonly retryAfterS?: number) {
    super(message);
    this.name = 'SaturatedError';
  }
}

/** The client of a request went away before its call reached an instance: the call was dropped. */
export class ClientGoneError extends MoparError {
  /** The calls of the request that did run before it was cut (they were billed all the same). */
  calls?: unknown[];
  constructor(readonly fn: string) {
    super(`function '${fn}' was not started: the client disconnected`);
    this.name = 'ClientGoneError';
  }
}

/**
 * A request that can no longer meet its deadline: shed before it uses an instance (HTTP 503 with Retry-After;
 * a full queue stays 429).
 */
export class DeadlineError extends SaturatedError {
  /** The calls of the request that did run before it was shed (they were billed all the same). */
  calls?: unknown[];
  /** `at`: what shed it, a function's queue or a batch group (then `fn` names the group). */
  constructor(readonly fn: string, readonly leftMs: number, readonly neededMs: number, at: 'function' | 'batch group' = 'function') {
    super(leftMs <= 0
      ? `request shed at ${at} '${fn}': its deadline passed ${Math.round(-leftMs)} ms ago`
      // Time left rounded down and time needed up: "159 ms left … need 158 ms" must not be printed for 158.6 < 158.7.
      : `request shed at ${at} '${fn}': ${Math.floor(leftMs)} ms left before its deadline, the ${at === 'function' ? 'rest of the chain' : 'batch'} is predicted to need ${Math.ceil(neededMs)} ms`, 503);
    this.name = 'DeadlineError';
  }
}

/** Why an instance was started: a call found none free, a request warmed its chain, the policy pre-warmed, or `serve` started it. */

/**
 * The refusal of a saturated function: a fixed `queueMax`, the automatic queue's cap (`atCap`) or a queue not yet
 * measured: 429 (the queue is full); the automatic bound below its cap: 503 with a Retry-After of the time the
 * queue takes to drain at the measured throughput.
 */
export function saturationError(name: string, instances: number, queued: number, throughputPerS: number | undefined,
  opts: { queueMax: number | 'auto'; queueTimeoutMs: number }, atCap: boolean): SaturatedError {
  const drainS = throughputPerS === undefined ? undefined : queued / throughputPerS;
  if (opts.queueMax !== 'auto' || atCap || drainS === undefined) {
    // The automatic queue at its cap still says when it will have drained (a fixed --queue: as it always did).
    const retry = opts.queueMax === 'auto' && drainS !== undefined ? Math.max(1, Math.ceil(drainS)) : undefined;
    return new SaturatedError(`function '${name}' is saturated: ${instances} instances busy and ${queued} requests queued`, 429, retry);
  }
  return new SaturatedError(`function '${name}' is saturated: the ${queued} requests queued take about ${drainS.toFixed(1)} s at the measured ${throughputPerS!.toFixed(1)} per second (queue timeout ${(opts.queueTimeoutMs / 1000).toFixed(0)} s)`,
    503, Math.max(1, Math.ceil(drainS)));
}

/** What the patient scale-out decision knows about a function's instances (pool.ts fills it in). */
export interface ScaleOutState {
  /** Mean warm call (ms), undefined before one was measured. */
  serviceMs: number | undefined;
  /** The last completed start (ms), 0 before one. */
  lastStartMs: number;
  /** Call slots on ready instances, and on instances still starting. */
  readySlots: number;
  startingSlots: number;
  /** Elapsed time of the oldest start under way (ms). */
  startElapsedMs: number;
  /** Calls already queued. */
  queued: number;
}

/**
 * Under `scaleOut: 'patient'`, how long a call that finds every slot taken waits before a start is worth making
 * (0: start one now). Its expected wait: the rest of a start under way when nothing is ready, plus (calls queued
 * + 1) warm calls over the slots there are. When that is shorter than a start, the busy (or starting) instances
 * serve it first and a new start would only be billed — as Knative's averaged-concurrency autoscaler rides out a
 * brief overlap; the start is made if the call still waits one more warm call past that (a call's time varies by
 * about that much). 0 under `eager`, or before a start was measured.
 */
export function scaleOutDelayMs(policy: 'eager' | 'patient' | undefined, s: ScaleOutState): number {
  const slots = s.readySlots + s.startingSlots;
  if (policy !== 'patient' || s.lastStartMs <= 0 || slots <= 0) return 0;
  const service = s.serviceMs ?? 0;
  const base = s.readySlots > 0 ? 0 : Math.max(0, s.lastStartMs - s.startElapsedMs);
  const waitMs = base + (s.queued + 1) * service / slots;
  return waitMs < s.lastStartMs ? waitMs + Math.max(service, 1) : 0;
}
