/**
 * Keep-alive and pre-warm policies (pure: no timers, no processes; the pool applies the decision).
 *
 * - `fixed`: an idle instance stays loaded for a fixed time after its last invocation (what Lambda-like
 *   platforms do, and what `serve --keep-warm` always did).
 * - `histogram`: the hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (ATC'20, §4.2). Per
 *   application it keeps a histogram of idle times (from the end of one invocation to the start of the next).
 *   After an invocation the application is unloaded and pre-warmed again at the histogram's head (5th
 *   percentile, minus a margin), then kept alive until its tail (99th percentile, plus a margin). While the
 *   histogram has too few samples, or too many idle times fell outside its range (the paper switches to a time-
 *   series forecast there; we fall back), the fixed keep-alive applies.
 */
import { MoparError } from '../core/index.js';

export interface HistogramPolicyOptions {
  /** Idle times beyond this fall out of the histogram ("out of bounds"); the paper uses 4 hours. */
  rangeMs: number;
  /** Bin width; the paper uses 1 minute. */
  binMs: number;
  /** Percentile of the head (pre-warm point) and of the tail (end of the keep-alive window). */
  headPct: number;
  tailPct: number;
  /** Margin taken off the head and added to the tail, as a fraction (paper: 10 %). */
  margin: number;
  /** Fewer in-range samples than this: the fixed keep-alive applies. */
  minSamples: number;
  /** A larger share of out-of-range idle times than this: the fixed keep-alive applies. */
  maxOutOfRange: number;
}

export type KeepAliveSpec = { kind: 'fixed'; ms: number } | { kind: 'histogram'; fallbackMs: number; histogram: HistogramPolicyOptions };

/** Defaults scaled to a local runtime's seconds-to-minutes gaps (the paper's 4 h / 1 min bins suit production). */
export const DEFAULT_HISTOGRAM: HistogramPolicyOptions = {
  rangeMs: 10 * 60_000, binMs: 100, headPct: 5, tailPct: 99, margin: 0.1, minSamples: 10, maxOutOfRange: 0.5,
};

/** What to do once an instance went idle. */
export interface KeepAliveDecision {
  /** Unload now and start again this many ms from the end of the invocation; 0 = stay loaded. */
  prewarmAfterMs: number;
  /** How long the (still or again) loaded instance stays loaded while idle, from the end of the invocation or from the pre-warm. */
  keepAliveMs: number;
  /** Where the decision came from ('fixed' also when the histogram policy fell back to it). */
  source: 'fixed' | 'histogram';
}

/**
 * Parses `fixed:MS` or `histogram[:key=value,...]` (keys: range, bin, head, tail, margin, min, oob — ms,
 * ms, percent, percent, fraction, count, fraction). `fallbackMs` is the fixed keep-alive a histogram falls back to.
 */
export function parseKeepAlive(text: string, fallbackMs: number): KeepAliveSpec {
  const [kind, rest] = splitOnce(text.trim(), ':');
  if (kind === 'fixed') {
    const ms = Number(rest);
    if (rest === undefined || rest.trim() === '' || !Number.isFinite(ms) || ms < 0) throw new MoparError(`--keep-alive fixed:MS needs a number of milliseconds ≥ 0, got '${text}'`);
    return { kind: 'fixed', ms };
  }
  if (kind !== 'histogram') throw new MoparError(`--keep-alive must be fixed:MS or histogram[:range=MS,bin=MS,head=PCT,tail=PCT,margin=F,min=N,oob=F], got '${text}'`);
  const h = { ...DEFAULT_HISTOGRAM };
  const keys: Record<string, keyof HistogramPolicyOptions> = { range: 'rangeMs', bin: 'binMs', head: 'headPct', tail: 'tailPct', margin: 'margin', min: 'minSamples', oob: 'maxOutOfRange' };
  for (const part of rest ? rest.split(',') : []) {
    const [k, v] = splitOnce(part.trim(), '=');
    const field = keys[k];
    const n = Number(v);
    if (!field || v === undefined || v.trim() === '' || !Number.isFinite(n)) throw new MoparError(`--keep-alive histogram: '${part}' is not one of ${Object.keys(keys).map((x) => `${x}=NUMBER`).join(', ')}`);
    h[field] = n;
  }
  checkHistogram(h);
  return { kind: 'histogram', fallbackMs, histogram: h };
}

function checkHistogram(h: HistogramPolicyOptions): void {
  const bad = (why: string) => new MoparError(`--keep-alive histogram: ${why}`);
  if (!(h.binMs > 0)) throw bad('bin must be > 0 ms');
  if (!(h.rangeMs >= h.binMs)) throw bad('range must be at least one bin');
  if (h.rangeMs / h.binMs > 1e6) throw bad('range/bin must be at most 1,000,000 bins');
  if (!(h.headPct >= 0 && h.headPct < h.tailPct && h.tailPct <= 100)) throw bad('need 0 ≤ head < tail ≤ 100');
  if (!(h.margin >= 0 && h.margin < 1)) throw bad('margin must be in [0, 1)');
  if (!(Number.isInteger(h.minSamples) && h.minSamples >= 1)) throw bad('min must be an integer ≥ 1');
  if (!(h.maxOutOfRange >= 0 && h.maxOutOfRange <= 1)) throw bad('oob must be in [0, 1]');
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** One application's idle-time histogram and the decision it gives. */
export class IdleTimeHistogram {
  private readonly bins: Uint32Array;
  private inRange = 0;
  private outOfRange = 0;

  constructor(readonly opts: HistogramPolicyOptions = DEFAULT_HISTOGRAM) {
    checkHistogram(opts);
    this.bins = new Uint32Array(Math.ceil(opts.rangeMs / opts.binMs));
  }

  record(idleMs: number): void {
    if (!(idleMs >= 0)) return;
    if (idleMs >= this.opts.rangeMs) { this.outOfRange++; return; }
    this.bins[Math.floor(idleMs / this.opts.binMs)]!++;
    this.inRange++;
  }

  get samples(): { inRange: number; outOfRange: number } {
    return { inRange: this.inRange, outOfRange: this.outOfRange };
  }

  /** Whether the histogram is representative enough to decide (else the fixed keep-alive applies). */
  usable(): boolean {
    const total = this.inRange + this.outOfRange;
    return this.inRange >= this.opts.minSamples && this.outOfRange / total <= this.opts.maxOutOfRange;
  }

  /**
   * The idle time below which `pct` % of the in-range samples lie, at bin granularity: the head is the lower edge
   * of its bin (pre-warm no later than the earliest such idle time), the tail the upper edge.
   */
  percentileBin(pct: number): number {
    const want = Math.max(1, Math.ceil((pct / 100) * this.inRange));
    let seen = 0;
    for (let b = 0; b < this.bins.length; b++) {
      seen += this.bins[b]!;
      if (seen >= want) return b;
    }
    return this.bins.length - 1;
  }

  decide(fallbackMs: number): KeepAliveDecision {
    if (!this.usable()) return { prewarmAfterMs: 0, keepAliveMs: fallbackMs, source: 'fixed' };
    const { binMs, margin } = this.opts;
    const head = this.percentileBin(this.opts.headPct) * binMs * (1 - margin);
    const tail = (this.percentileBin(this.opts.tailPct) + 1) * binMs * (1 + margin);
    // A head inside the first bin means invocations may follow at once: stay loaded (paper: pre-warm window 0).
    const prewarmAfterMs = head < binMs ? 0 : head;
    return { prewarmAfterMs, keepAliveMs: tail - prewarmAfterMs, source: 'histogram' };
  }
}

/** A policy instance per application: records idle times and decides (fixed ignores the records). */
export class KeepAlivePolicy {
  private readonly histogram?: IdleTimeHistogram;
  constructor(readonly spec: KeepAliveSpec) {
    if (spec.kind === 'histogram') this.histogram = new IdleTimeHistogram(spec.histogram);
  }

  recordIdle(ms: number): void {
    this.histogram?.record(ms);
  }

  decide(): KeepAliveDecision {
    if (this.spec.kind === 'fixed') return { prewarmAfterMs: 0, keepAliveMs: this.spec.ms, source: 'fixed' };
    return this.histogram!.decide(this.spec.fallbackMs);
  }

  /** For stats: the samples so far (histogram) and the current decision. */
  describe(): { kind: KeepAliveSpec['kind']; samples?: { inRange: number; outOfRange: number }; decision: KeepAliveDecision } {
    return { kind: this.spec.kind, ...(this.histogram ? { samples: this.histogram.samples } : {}), decision: this.decide() };
  }
}
