/**
 * A bounded open-loop load generator: requests leave at their scheduled arrival times (plan/batching arrivals,
 * seeded) whatever the server does, so queueing shows up as latency instead of slowing the arrivals. It stops by
 * itself: at most maxRequests are scheduled, none after durationMs, and requests still unanswered graceMs after
 * the last arrival are recorded as failed (their replies, if any come later, are ignored).
 */
import { quantile } from '../core/index.js';
import { arrivalTimes, mergeArrivals, type AppSpec } from '../plan/index.js';

export interface ScheduledRequest { app: string; atMs: number }

export interface LoadOutcome {
  app: string;
  /** Scheduled send time, ms from the start. */
  atMs: number;
  /** From send to reply, ms (NaN when it failed or was not answered in time). */
  latencyMs: number;
  ok: boolean;
  batchSize?: number;
  error?: string;
}

export interface LoadBounds {
  durationMs: number;
  maxRequests: number;
  /** After the last arrival, how long to wait for replies (default 30 s). */
  graceMs?: number;
}

/** Every application's arrivals over [0, durationMs) (app i seeded seed + i), merged, the first maxRequests kept. */
export function workloadSchedule(apps: readonly AppSpec[], bounds: Pick<LoadBounds, 'durationMs' | 'maxRequests'>, seed: number): ScheduledRequest[] {
  if (!(bounds.durationMs > 0) || !Number.isFinite(bounds.durationMs)) throw new RangeError(`durationMs must be a positive finite number, got ${bounds.durationMs}`);
  if (!(bounds.maxRequests >= 1)) throw new RangeError(`maxRequests must be ≥ 1, got ${bounds.maxRequests}`);
  const streams = apps.map((a, i) => arrivalTimes(a, bounds.durationMs, seed + i, bounds.maxRequests));
  const { timesMs, source } = mergeArrivals(streams);
  const n = Math.min(timesMs.length, bounds.maxRequests);
  return Array.from({ length: n }, (_, i) => ({ app: apps[source[i]!]!.name, atMs: timesMs[i]! }));
}

/** Sends the schedule through `send` at its times; resolves when every request is answered or the grace is over. */
export async function runLoad(
  schedule: readonly ScheduledRequest[],
  send: (req: ScheduledRequest, index: number) => Promise<{ batchSize?: number }>,
  graceMs = 30_000,
): Promise<LoadOutcome[]> {
  const outcomes: LoadOutcome[] = schedule.map((r) => ({ app: r.app, atMs: r.atMs, latencyMs: NaN, ok: false, error: 'not answered in time' }));
  if (schedule.length === 0) return outcomes;
  const start = performance.now();
  let pending = schedule.length;
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  const timers: NodeJS.Timeout[] = [];
  let over = false;
  const fire = (req: ScheduledRequest, i: number) => {
    // Timers run on libuv's whole-millisecond loop clock and can fire up to ~1 ms early on this clock; open loop
    // means nothing leaves before its time, so an early timer is re-armed for the rest.
    const early = req.atMs - (performance.now() - start);
    if (early > 0) { timers.push(setTimeout(() => fire(req, i), Math.max(1, early))); return; }
    const sent = performance.now();
    send(req, i).then(
      (reply) => { if (!over) outcomes[i] = { app: req.app, atMs: req.atMs, latencyMs: performance.now() - sent, ok: true, ...(reply.batchSize === undefined ? {} : { batchSize: reply.batchSize }) }; },
      (err: unknown) => { if (!over) outcomes[i] = { app: req.app, atMs: req.atMs, latencyMs: NaN, ok: false, error: err instanceof Error ? err.message : String(err) }; },
    ).finally(() => { if (--pending === 0) finish(); });
  };
  schedule.forEach((req, i) => {
    timers.push(setTimeout(() => fire(req, i), Math.max(0, req.atMs - (performance.now() - start))));
  });
  const lastAt = schedule[schedule.length - 1]!.atMs;
  let cutoff: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((r) => { cutoff = setTimeout(r, lastAt + graceMs); })]);
  over = true;
  clearTimeout(cutoff);
  for (const t of timers) clearTimeout(t);
  return outcomes;
}

export interface AppLoadSummary { app: string; sloMs: number; requests: number; ok: number; p50Ms: number; p99Ms: number; sloAttainment: number }

/** Per application: answered requests, p50/p99 of answered ones, and the fraction of all requests answered within the SLO. */
export function summariseLoad(apps: readonly Pick<AppSpec, 'name' | 'sloMs'>[], outcomes: readonly LoadOutcome[]): AppLoadSummary[] {
  return apps.map((a) => {
    const mine = outcomes.filter((o) => o.app === a.name);
    const lat = mine.filter((o) => o.ok).map((o) => o.latencyMs);
    const q = (p: number) => quantile(lat, p);
    const within = mine.filter((o) => o.ok && o.latencyMs <= a.sloMs).length;
    return { app: a.name, sloMs: a.sloMs, requests: mine.length, ok: lat.length, p50Ms: q(0.5), p99Ms: q(0.99), sloAttainment: mine.length ? within / mine.length : NaN };
  });
}
