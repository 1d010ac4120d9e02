/**
 * Request batching per group of applications (docs/batching.md): requests queue with their deadlines
 * (arrival + their application's SLO, or the request's own deadline), earliest deadline first; a batch is
 * dispatched when it holds maxBatch requests, when its oldest request has waited timeoutMs, or earlier when
 * waiting longer would miss the earliest deadline in it given the batch execution time seen so far. A batch is
 * one run of the model's function chain (one invocation per function); its outputs are split back per request
 * along the leading (batch) dim. Batches wait for instances in the functions' queues by their earliest deadline
 * (EDF there too); a request that cannot meet its deadline is shed (503) before it runs: at dispatch when the
 * batch's measured run time leaves it no chance, in a function's queue when none of its batch can still make it.
 */
import { MoparError } from '../core/index.js';
import type { Feeds, PlainTensor } from '../graph/index.js';
import type { InferOptions, InferResult } from './model.js';
import { DeadlineError } from './admission.js';

export interface BatchAppConfig { name: string; sloMs: number }
export interface BatchGroupConfig {
  /** Defaults to the application names joined with '+'. */
  name?: string;
  apps: BatchAppConfig[];
  maxBatch: number;
  timeoutMs: number;
  /** Instances per function the plan keeps warm for this group (plan groups[].minInstances; warmMinimum). */
  minInstances?: number;
}
export interface BatchingConfig {
  groups: BatchGroupConfig[];
  /** Group that requests of unknown (or unnamed) applications join; absent: they are refused (400). */
  defaultGroup?: string;
  /**
   * The model's max batch (manifest `maxBatch`): a batch never holds more rows (the requests' own batches summed)
   * than the functions' memory is sized for, whatever a group's maxBatch says. Absent: no bound on rows.
   */
  maxRows?: number;
}

/** A request that cannot join a batch as sent (the client's fault: a 400). */
export class BatchInputError extends MoparError {}

export interface BatchedReply { outputs: Feeds; batchSize: number; waitMs: number; result: InferResult }

/** Safety factor on the execution estimate when deciding that waiting longer would miss a deadline. */
const EXEC_MARGIN = 1.2;
/** Weight of the newest batch in the running execution-time estimate. */
const EWMA = 0.3;

interface Pending {
  feeds: Feeds;
  rows: number;
  arrivedAt: number;
  deadline: number;
  resolve: (r: BatchedReply) => void;
  reject: (e: unknown) => void;
}

interface Queue { group: Group; items: Pending[]; timer?: NodeJS.Timeout }

interface Group { name: string; cfg: BatchGroupConfig; queues: Map<string, Queue>; execMs?: number; execRows?: number }

export class Batcher {
  private readonly groups = new Map<string, Group>();
  private readonly appGroup = new Map<string, { group: Group; sloMs: number }>();
  private readonly defaultGroup?: Group;
  private readonly maxRows: number;
  private closed = false;

  constructor(
    cfg: BatchingConfig,
    private readonly run: (feeds: Feeds, opts: InferOptions) => Promise<InferResult>,
    private readonly onBatch: (group: string, size: number, result: InferResult | undefined, err?: unknown) => void = () => {},
  ) {
    if (!Array.isArray(cfg.groups) || cfg.groups.length === 0) throw new MoparError('batching needs at least one group');
    this.maxRows = cfg.maxRows ?? Infinity;
    for (const g of cfg.groups) {
      if (!Number.isInteger(g.maxBatch) || g.maxBatch < 1) throw new MoparError(`batch group ${g.name ?? '?'}: maxBatch must be an integer ≥ 1`);
      if (!(g.timeoutMs >= 0) || !Number.isFinite(g.timeoutMs)) throw new MoparError(`batch group ${g.name ?? '?'}: timeoutMs must be ≥ 0`);
      const name = g.name ?? g.apps.map((a) => a.name).join('+');
      if (this.groups.has(name)) throw new MoparError(`batch group '${name}' is given twice`);
      const group: Group = { name, cfg: g, queues: new Map() };
      this.groups.set(name, group);
      for (const a of g.apps) {
        if (this.appGroup.has(a.name)) throw new MoparError(`application '${a.name}' is in two batch groups`);
        if (!(a.sloMs > 0)) throw new MoparError(`application '${a.name}': sloMs must be > 0`);
        this.appGroup.set(a.name, { group, sloMs: a.sloMs });
      }
    }
    if (cfg.defaultGroup !== undefined) {
      this.defaultGroup = this.groups.get(cfg.defaultGroup);
      if (!this.defaultGroup) throw new MoparError(`default batch group '${cfg.defaultGroup}' is not one of ${[...this.groups.keys()].join(', ')}`);
    }
  }

  get apps(): string[] { return [...this.appGroup.keys()]; }

  /** The SLO a request of `app` is held to, or undefined when the app is unknown and there is no default group. */
  sloOf(app: string | undefined): number | undefined {
    const a = app === undefined ? undefined : this.appGroup.get(app);
    if (a) return a.sloMs;
    if (!this.defaultGroup) return undefined;
    return Math.min(...this.defaultGroup.cfg.apps.map((x) => x.sloMs));
  }

  accepts(app: string | undefined): boolean { return this.sloOf(app) !== undefined; }

  /** `deadline` (absolute, performance.now() ms): the request's own; default its arrival + its application's SLO. */
  submit(app: string | undefined, feeds: Feeds, arrivedAt = performance.now(), deadline?: number): Promise<BatchedReply> {
    if (this.closed) return Promise.reject(new MoparError('batching is shut down'));
    const known = app === undefined ? undefined : this.appGroup.get(app);
    const group = known?.group ?? this.defaultGroup;
    const sloMs = this.sloOf(app);
    if (!group || sloMs === undefined) return Promise.reject(new MoparError(`unknown application '${app ?? ''}'`));
    const names = Object.keys(feeds).sort();
    const rows = names.length ? feeds[names[0]!]!.dims[0] ?? 1 : 1;
    for (const n of names) {
      if (feeds[n]!.dims.length === 0 || feeds[n]!.dims[0] !== rows) {
        return Promise.reject(new BatchInputError(`input '${n}' must have the same leading (batch) dim as the others (${rows}) to be batched`));
      }
    }
    // Requests batch together only when every non-batch dim and type agree.
    const sig = names.map((n) => `${n}:${feeds[n]!.dtype}:${feeds[n]!.dims.slice(1).join('x')}`).join('|');
    let q = group.queues.get(sig);
    if (!q) { q = { group, items: [] }; group.queues.set(sig, q); }
    const queue = q;
    return new Promise<BatchedReply>((resolve, reject) => {
      const p: Pending = { feeds, rows, arrivedAt, deadline: deadline ?? arrivedAt + sloMs, resolve, reject };
      // Earliest deadline first; equal deadlines keep arrival order.
      let at = queue.items.length;
      while (at > 0 && queue.items[at - 1]!.deadline > p.deadline) at--;
      queue.items.splice(at, 0, p);
      this.schedule(queue);
    });
  }

  /** Rejects everything queued (shutdown) with `reason`. */
  close(reason: Error = new MoparError('batching is shut down')): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      for (const q of g.queues.values()) {
        clearTimeout(q.timer);
        for (const p of q.items.splice(0)) p.reject(reason);
      }
    }
  }

  /**
   * A batch of `rows` takes this long, by the batches measured so far (0 before the first), times `margin`; never
   * less than a mean batch takes (a batch has fixed costs). `lowest`: scaled down too (rows ÷ mean rows) — a bound
   * a smaller batch cannot beat by much, for decisions that must not err long, like shedding.
   */
  private estimateMs(group: Group, rows: number, margin = EXEC_MARGIN, lowest = false): number {
    if (group.execMs === undefined || !group.execRows) return 0;
    const scale = rows / group.execRows;
    return group.execMs * (lowest ? scale : Math.max(1, scale)) * margin;
  }

  private schedule(q: Queue): void {
    clearTimeout(q.timer);
    q.timer = undefined;
    // A hopeless request goes now: left in, its deadline would dispatch the others early and small.
    this.shedHopeless(q);
    if (q.items.length === 0) return;
    const g = q.group;
    const rows = q.items.reduce((s, p) => s + p.rows, 0);
    if (q.items.length >= g.cfg.maxBatch || rows >= this.maxRows) { this.dispatch(q); return; }
    const now = performance.now();
    const earliest = Math.min(...q.items.map((p) => p.deadline));
    // Waiting for one more request makes the batch bigger: judge the deadline at that size.
    const byDeadline = earliest - this.estimateMs(g, rows + 1);
    const at = Math.min(Math.min(...q.items.map((p) => p.arrivedAt)) + g.cfg.timeoutMs, byDeadline);
    if (at <= now) { this.dispatch(q); return; }
    q.timer = setTimeout(() => this.dispatch(q), at - now);
  }

  /**
   * Early shedding: whoever would miss its deadline even if its batch ran now (the measured batch time, no margin:
   * only the hopeless go) is answered 503 at once instead of taking a place in a batch.
   */
  private shedHopeless(q: Queue): void {
    const now = performance.now();
    // Shedding throws a request away: the estimate errs short (a lone request is not charged a mean batch's time).
    const needMs = this.estimateMs(q.group, q.items.slice(0, q.group.cfg.maxBatch).reduce((s, p) => s + p.rows, 0), 1, true);
    for (const p of q.items.filter((x) => now + needMs > x.deadline)) {
      q.items.splice(q.items.indexOf(p), 1);
      p.reject(new DeadlineError(q.group.name, p.deadline - now, needMs, 'batch group'));
    }
  }

  private dispatch(q: Queue): void {
    clearTimeout(q.timer);
    q.timer = undefined;
    this.shedHopeless(q);
    // Up to maxBatch requests, and no more rows than maxRows (a request alone always goes: the entry checked it).
    let n = 0;
    for (let rows = 0; n < Math.min(q.items.length, q.group.cfg.maxBatch); n++) {
      rows += q.items[n]!.rows;
      if (n > 0 && rows > this.maxRows) break;
    }
    const batch = q.items.splice(0, n);
    if (q.items.length > 0) this.schedule(q);
    if (batch.length === 0) return;
    void this.execute(q.group, batch);
  }

  private async execute(group: Group, batch: Pending[]): Promise<void> {
    const started = performance.now();
    let result: InferResult;
    let outputs: Feeds[];
    try {
      // The functions' queues order the batch by its earliest deadline and shed it only when its latest is lost.
      const deadlines = batch.map((p) => p.deadline);
      result = await this.run(concatFeeds(batch.map((p) => p.feeds)), { deadline: Math.min(...deadlines), shedDeadline: Math.max(...deadlines) });
      outputs = splitFeeds(result.outputs, batch.map((p) => p.rows));
    } catch (err) {
      this.onBatch(group.name, batch.length, undefined, err);
      // A shed batch's calls that did run are accounted once (with the first request's error).
      batch.forEach((p, i) => p.reject(i > 0 && err instanceof DeadlineError ? new DeadlineError(err.fn, err.leftMs, err.neededMs) : err));
      return;
    }
    const rows = batch.reduce((s, p) => s + p.rows, 0);
    const ms = executionMs(result, performance.now() - started);
    group.execMs = group.execMs === undefined ? ms : (1 - EWMA) * group.execMs + EWMA * ms;
    group.execRows = group.execRows === undefined ? rows : (1 - EWMA) * group.execRows + EWMA * rows;
    this.onBatch(group.name, batch.length, result);
    batch.forEach((p, i) => p.resolve({ outputs: outputs[i]!, batchSize: batch.length, waitMs: started - p.arrivedAt, result }));
  }
}

/**
 * A batch's execution time without the time its calls waited for instances: the deadline decision asks how long a
 * batch takes once it runs; counting queue waits and cold starts in made every later batch dispatch earlier and
 * smaller, which made the queues longer still. The waits are summed (exact for a chain; with parallel
 * sub-slices it can subtract too much, so it is floored at the longest single call's run).
 */
export function executionMs(result: Pick<InferResult, 'calls'>, wallMs: number): number {
  const waits = result.calls.reduce((s, c) => s + (c.waitMs ?? 0), 0);
  const longest = result.calls.reduce((m, c) => Math.max(m, c.ms - (c.waitMs ?? 0)), 0);
  return Math.max(longest, wallMs - waits);
}

type Data = PlainTensor['data'];

/** Every request's inputs concatenated along dim 0 (same names, types and other dims: the queue's key). */
export function concatFeeds(parts: readonly Feeds[]): Feeds {
  if (parts.length === 1) return parts[0]!;
  const out: Feeds = {};
  for (const name of Object.keys(parts[0]!)) {
    const ts = parts.map((p) => p[name]!);
    out[name] = { dtype: ts[0]!.dtype, dims: [ts.reduce((s, t) => s + t.dims[0]!, 0), ...ts[0]!.dims.slice(1)], data: concatData(ts.map((t) => t.data)) };
  }
  return out;
}

function concatData(xs: readonly Data[]): Data {
  const first = xs[0]!;
  if (Array.isArray(first)) return (xs as string[][]).flat() as Data;
  const total = xs.reduce((s, x) => s + x.length, 0);
  const Ctor = (first as unknown as { constructor: new (n: number) => { set(a: ArrayLike<unknown>, o: number): void } }).constructor;
  const out = new Ctor(total);
  let at = 0;
  for (const x of xs) { out.set(x as ArrayLike<unknown>, at); at += x.length; }
  return out as unknown as Data;
}

/** The batch's outputs split back per request by its rows; every output must carry the batch dim. */
export function splitFeeds(outputs: Feeds, rows: readonly number[]): Feeds[] {
  if (rows.length === 1) return [outputs];
  const total = rows.reduce((s, r) => s + r, 0);
  const out: Feeds[] = rows.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== total) {
      throw new MoparError(`output '${name}' has leading dim ${t.dims[0]} for a batch of ${total} rows: the model does not batch along dim 0`);
    }
    const per = t.data.length / total;
    let at = 0;
    rows.forEach((r, i) => {
      const data = (t.data as { slice(a: number, b: number): Data }).slice(at * per, (at + r) * per);
      out[i]![name] = { dtype: t.dtype, dims: [r, ...t.dims.slice(1)], data };
      at += r;
    });
  }
  return out;
}

/**
 * The batching configuration in a plan document written by `mopar plan --apps … -o PLAN` (`apps` and `groups`,
 * docs/batching.md); `source` names it in errors.
 */
export function batchingFromPlan(doc: unknown, source: string): { model: string; config: BatchingConfig } {
  const d = doc as { model?: unknown; apps?: unknown; groups?: unknown } | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.apps) || !Array.isArray(d.groups) || typeof d.model !== 'string') {
    throw new MoparError(`${source} has no batching groups (make it with: mopar plan MODEL --apps FILE -o PLAN)`);
  }
  const slo = new Map<string, number>();
  for (const a of d.apps as Array<{ name?: unknown; sloMs?: unknown }>) {
    if (typeof a?.name !== 'string' || typeof a.sloMs !== 'number') throw new MoparError(`${source}: every entry of 'apps' needs a name and sloMs`);
    slo.set(a.name, a.sloMs);
  }
  const groups = (d.groups as Array<{ apps?: unknown; maxBatch?: unknown; timeoutMs?: unknown; minInstances?: unknown }>).map((g, i): BatchGroupConfig => {
    if (!Array.isArray(g?.apps) || typeof g.maxBatch !== 'number' || typeof g.timeoutMs !== 'number') {
      throw new MoparError(`${source}: groups[${i}] needs apps, maxBatch and timeoutMs`);
    }
    return {
      apps: (g.apps as unknown[]).map((name) => {
        const s = typeof name === 'string' ? slo.get(name) : undefined;
        if (s === undefined) throw new MoparError(`${source}: groups[${i}] names application ${JSON.stringify(name)}, which 'apps' does not list`);
        return { name: name as string, sloMs: s };
      }),
      maxBatch: g.maxBatch, timeoutMs: g.timeoutMs,
      ...(typeof g.minInstances === 'number' && Number.isInteger(g.minInstances) && g.minInstances >= 0 ? { minInstances: g.minInstances } : {}),
    };
  });
  return { model: d.model, config: { groups } };
}

/**
 * The warm minimum of the model that serves `cfg`'s groups: the groups' minInstances summed (they share its
 * function pools, and each group was planned with its own warm instances); undefined when no group has one.
 */
export function warmMinimum(cfg: BatchingConfig): number | undefined {
  const mins = cfg.groups.map((g) => g.minInstances).filter((m): m is number => m !== undefined);
  return mins.length ? mins.reduce((a, b) => a + b, 0) : undefined;
}
