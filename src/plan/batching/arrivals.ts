/**
 * Arrival processes of a workload, one place for the planner (plan/batching), the load generator (bench) and the
 * runtime's tests: Poisson, bursty (on/off, a two-state MMPP whose off state is silent) and trace replay (a file of
 * timestamps, or per-minute counts in the Azure Functions trace style). Every generator is seeded (core Rng): the
 * same spec, horizon and seed give the same times on every machine.
 *
 * Times are ms from the start of the workload, ascending.
 */
import { readFileSync } from 'node:fs';
import { MoparError, Rng, errorMessage } from '../../core/index.js';

/** How an application's requests arrive. `ratePerSec` of the application is the mean rate for poisson/bursty. */
export type ArrivalSpec =
  | { kind: 'poisson' }
  /**
   * On/off: requests come as Poisson at peakToMean × the mean rate during ON periods (exponential, mean meanOnMs)
   * and not at all during OFF periods (exponential, mean meanOnMs · (peakToMean − 1)), so the long-run mean is
   * the application's rate. peakToMean = 1 is Poisson.
   */
  | { kind: 'bursty'; peakToMean: number; meanOnMs: number }
  /**
   * Replay of a trace file (readTrace): timestamps, or per-minute counts spread uniformly within each minute.
   * minuteMs compresses time (a trace minute lasts minuteMs in the replay; default 60,000, real time); row picks
   * the function of a multi-row per-minute file (default 0).
   */
  | { kind: 'trace'; file: string; minuteMs?: number; row?: number };

export const DEFAULT_BURST: { peakToMean: number; meanOnMs: number } = { peakToMean: 4, meanOnMs: 2000 };

/** A trace as read: either exact arrival times or counts per minute (spread when replayed). */
export type Trace =
  | { kind: 'timestamps'; timesMs: Float64Array; durationMs: number }
  | { kind: 'per-minute'; counts: number[] };

export interface ArrivalStats {
  count: number;
  durationMs: number;
  ratePerSec: number;
  /** Squared coefficient of variation of the gaps between arrivals: 1 for Poisson, above 1 for bursty traffic. */
  gapCv2: number;
  /** Variance over mean of the arrivals per 1 s window: 1 for Poisson. */
  dispersion: number;
}

export function checkArrivalSpec(spec: ArrivalSpec, where: string): void {
  if (spec.kind === 'bursty') {
    if (!(spec.peakToMean >= 1) || !Number.isFinite(spec.peakToMean)) throw new MoparError(`${where}: peakToMean must be a number ≥ 1, got ${spec.peakToMean}`);
    if (!(spec.meanOnMs > 0) || !Number.isFinite(spec.meanOnMs)) throw new MoparError(`${where}: meanOnMs must be a positive number, got ${spec.meanOnMs}`);
  } else if (spec.kind === 'trace') {
    if (typeof spec.file !== 'string' || !spec.file) throw new MoparError(`${where}: a trace needs a file`);
    if (spec.minuteMs !== undefined && !(spec.minuteMs > 0)) throw new MoparError(`${where}: minuteMs must be a positive number, got ${spec.minuteMs}`);
    if (spec.row !== undefined && !(Number.isInteger(spec.row) && spec.row >= 0)) throw new MoparError(`${where}: row must be an integer ≥ 0, got ${spec.row}`);
  } else if (spec.kind !== 'poisson') {
    throw new MoparError(`${where}: unknown arrival kind '${(spec as { kind: unknown }).kind}' (poisson, bursty, trace)`);
  }
}

const expGap = (rng: Rng, meanMs: number) => -Math.log(1 - rng.next()) * meanMs;

/** Poisson arrivals at ratePerSec within [0, durationMs), at most maxCount. */
export function poissonTimes(ratePerSec: number, durationMs: number, seed: number, maxCount = Infinity): Float64Array {
  if (!(ratePerSec > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
  const rng = new Rng(seed);
  const meanGapMs = 1000 / ratePerSec;
  const out: number[] = [];
  for (let t = expGap(rng, meanGapMs); t < durationMs && out.length < maxCount; t += expGap(rng, meanGapMs)) out.push(t);
  return Float64Array.from(out);
}

/** On/off arrivals (see ArrivalSpec 'bursty'); the workload starts in an ON period with probability 1/peakToMean. */
export function burstyTimes(ratePerSec: number, burst: { peakToMean: number; meanOnMs: number }, durationMs: number, seed: number, maxCount = Infinity): Float64Array {
  if (burst.peakToMean <= 1) return poissonTimes(ratePerSec, durationMs, seed, maxCount);
  const rng = new Rng(seed);
  const peakGapMs = 1000 / (ratePerSec * burst.peakToMean);
  const meanOffMs = burst.meanOnMs * (burst.peakToMean - 1);
  const out: number[] = [];
  let on = rng.next() < 1 / burst.peakToMean;
  let t = 0;
  while (t < durationMs && out.length < maxCount) {
    const end = t + expGap(rng, on ? burst.meanOnMs : meanOffMs);
    if (on) {
      // Memorylessness: the next arrival after `t` is an exponential gap, whatever came before.
      for (let a = t + expGap(rng, peakGapMs); a < end && a < durationMs && out.length < maxCount; a += expGap(rng, peakGapMs)) out.push(a);
    }
    t = end;
    on = !on;
  }
  return Float64Array.from(out);
}

/** Arrival times of a trace within [0, durationMs); per-minute counts are spread uniformly within their minute (seeded). */
export function traceTimes(trace: Trace, durationMs: number, seed: number, minuteMs = 60_000, maxCount = Infinity): Float64Array {
  let times: number[];
  if (trace.kind === 'timestamps') {
    const scale = minuteMs / 60_000;
    times = Array.from(trace.timesMs, (t) => t * scale);
  } else {
    const rng = new Rng(seed);
    times = [];
    trace.counts.forEach((k, m) => {
      const minute: number[] = [];
      for (let i = 0; i < k; i++) minute.push((m + rng.next()) * minuteMs);
      times.push(...minute.sort((a, b) => a - b));
    });
  }
  const kept = times.filter((t) => t < durationMs);
  return Float64Array.from(kept.slice(0, Math.min(kept.length, maxCount)));
}

export interface AppArrivals { ratePerSec: number; arrivals?: ArrivalSpec }

/** Times of one application's requests over [0, durationMs) (seeded; traces read once per path). */
export function arrivalTimes(app: AppArrivals, durationMs: number, seed: number, maxCount = Infinity): Float64Array {
  const spec = app.arrivals ?? { kind: 'poisson' };
  switch (spec.kind) {
    case 'poisson': return poissonTimes(app.ratePerSec, durationMs, seed, maxCount);
    case 'bursty': return burstyTimes(app.ratePerSec, spec, durationMs, seed, maxCount);
    case 'trace': return traceTimes(readTraceCached(spec.file, spec.row ?? 0), durationMs, seed, spec.minuteMs, maxCount);
  }
}

/** Length of one replay of the trace an application follows, ms (undefined for generated processes). */
export function traceDurationMs(app: AppArrivals): number | undefined {
  const spec = app.arrivals;
  if (spec?.kind !== 'trace') return undefined;
  const trace = readTraceCached(spec.file, spec.row ?? 0);
  const minuteMs = spec.minuteMs ?? 60_000;
  return trace.kind === 'timestamps' ? trace.durationMs * minuteMs / 60_000 : trace.counts.length * minuteMs;
}

/** Mean rate of an application: its ratePerSec, or for a trace the trace's own mean (after time compression). */
export function meanRateOf(app: { ratePerSec?: number; arrivals?: ArrivalSpec }): number {
  const spec = app.arrivals;
  if (spec?.kind === 'trace') {
    const trace = readTraceCached(spec.file, spec.row ?? 0);
    const count = trace.kind === 'timestamps' ? trace.timesMs.length : trace.counts.reduce((a, b) => a + b, 0);
    const ms = traceDurationMs({ ratePerSec: 0, arrivals: spec })!;
    return ms > 0 ? count / (ms / 1000) : 0;
  }
  return app.ratePerSec ?? NaN;
}

/** True when the Poisson closed forms describe the application's arrivals. */
export const isPoisson = (app: { arrivals?: ArrivalSpec }) => (app.arrivals?.kind ?? 'poisson') === 'poisson'
  || (app.arrivals?.kind === 'bursty' && app.arrivals.peakToMean === 1);

/** Merges several ascending streams into one ascending stream, with the index of the stream of each arrival. */
export function mergeArrivals(streams: readonly Float64Array[]): { timesMs: Float64Array; source: Int32Array } {
  const all: Array<[number, number]> = [];
  streams.forEach((s, i) => { for (const t of s) all.push([t, i]); });
  all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { timesMs: Float64Array.from(all, (x) => x[0]), source: Int32Array.from(all, (x) => x[1]) };
}

/** Rate and burstiness of arrival times observed over [0, durationMs). */
export function arrivalStats(timesMs: ArrayLike<number>, durationMs: number): ArrivalStats {
  const n = timesMs.length;
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(timesMs[i]! - timesMs[i - 1]!);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[], m: number) => xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
  const gm = gaps.length ? mean(gaps) : NaN;
  const windows = new Array<number>(Math.max(1, Math.ceil(durationMs / 1000))).fill(0);
  for (let i = 0; i < n; i++) windows[Math.min(windows.length - 1, Math.floor(timesMs[i]! / 1000))]!++;
  const wm = mean(windows);
  return {
    count: n, durationMs, ratePerSec: durationMs > 0 ? n / (durationMs / 1000) : NaN,
    gapCv2: gaps.length > 1 && gm > 0 ? variance(gaps, gm) / gm ** 2 : NaN,
    dispersion: wm > 0 ? variance(windows, wm) / wm : NaN,
  };
}

/**
 * Reads a trace file. Accepted forms:
 * - JSON: {"timestampsMs": [...]} or {"perMinute": [...]} (or a bare array of timestamps, ms);
 * - CSV with a header: Azure Functions 2019 per-minute counts (columns "1", "2", … "1440"; `row` picks the
 *   function), the Azure Functions 2021 invocation trace (end_timestamp and duration in seconds: arrival =
 *   end − duration), or one column named timestamp_ms / timestamp_s / timestamp (seconds);
 * - plain text: one timestamp in ms per line.
 * Timestamps are shifted so the first is at 0 and sorted.
 */
export function readTrace(path: string, row = 0): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MoparError(`cannot read trace ${path}: ${errorMessage(err)}`);
  }
  return parseTrace(text, `trace ${path}`, row);
}

const traceCache = new Map<string, Trace>();
function readTraceCached(path: string, row: number): Trace {
  const key = `${row}\u0000${path}`;
  let t = traceCache.get(key);
  if (!t) { t = readTrace(path, row); traceCache.set(key, t); }
  return t;
}

/** parseTrace on text already read; `source` names it in errors. */
export function parseTrace(text: string, source: string, row = 0): Trace {
  const trimmed = text.trim();
  if (!trimmed) throw new MoparError(`${source} is empty`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown;
    try { doc = JSON.parse(trimmed); } catch (err) { throw new MoparError(`${source} is not valid JSON: ${errorMessage(err)}`); }
    if (Array.isArray(doc)) return timestamps(doc, 1, source);
    const d = doc as { timestampsMs?: unknown; perMinute?: unknown };
    if (Array.isArray(d.timestampsMs)) return timestamps(d.timestampsMs, 1, source);
    if (Array.isArray(d.perMinute)) return { kind: 'per-minute', counts: counts(d.perMinute, source) };
    throw new MoparError(`${source}: a JSON trace needs "timestampsMs" or "perMinute" (an array)`);
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split(',').map((h) => h.trim());
  if (header.length === 1 && Number.isFinite(Number(header[0]))) return timestamps(lines.map(Number), 1, source);
  const rows = lines.slice(1).map((l) => l.split(',').map((c) => c.trim()));
  const col = (name: string) => header.indexOf(name);
  const minuteCols = header.map((h, i) => [h, i] as const).filter(([h]) => /^\d+$/.test(h)).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (minuteCols.length > 0) {
    const r = rows[row];
    if (!r) throw new MoparError(`${source} has ${rows.length} row${rows.length === 1 ? '' : 's'}, no row ${row}`);
    return { kind: 'per-minute', counts: counts(minuteCols.map(([, i]) => r[i]), source) };
  }
  if (col('end_timestamp') >= 0 && col('duration') >= 0) {
    const e = col('end_timestamp');
    const d = col('duration');
    return timestamps(rows.map((r) => Number(r[e]) - Number(r[d])), 1000, source);
  }
  for (const [name, scale] of [['timestamp_ms', 1], ['timestamp_s', 1000], ['timestamp', 1000]] as const) {
    const c = col(name);
    if (c >= 0) return timestamps(rows.map((r) => Number(r[c])), scale, source);
  }
  throw new MoparError(`${source}: unrecognised CSV header (expected per-minute columns 1..N, end_timestamp + duration, or timestamp_ms/timestamp_s)`);
}

function timestamps(xs: unknown[], scaleToMs: number, source: string): Trace {
  const ms = xs.map((x) => (typeof x === 'number' || typeof x === 'string' ? Number(x) * scaleToMs : NaN));
  const bad = ms.findIndex((t) => !Number.isFinite(t));
  if (bad >= 0) throw new MoparError(`${source}: timestamp ${bad + 1} is not a number`);
  if (ms.length === 0) throw new MoparError(`${source} holds no arrivals`);
  ms.sort((a, b) => a - b);
  const t0 = ms[0]!;
  const timesMs = Float64Array.from(ms, (t) => t - t0);
  // One mean gap past the last arrival, so that n arrivals span n gaps (rate = n / duration).
  const durationMs = timesMs.length > 1 ? timesMs[timesMs.length - 1]! * timesMs.length / (timesMs.length - 1) : 1000;
  return { kind: 'timestamps', timesMs, durationMs };
}

function counts(xs: unknown[], source: string): number[] {
  const out = xs.map((x) => (typeof x === 'number' || typeof x === 'string' ? Number(x) : NaN));
  const bad = out.findIndex((k) => !(Number.isInteger(k) && k >= 0));
  if (bad >= 0) throw new MoparError(`${source}: minute ${bad + 1} is not a count (an integer ≥ 0)`);
  if (out.length === 0 || out.every((k) => k === 0)) throw new MoparError(`${source} holds no arrivals`);
  return out;
}
