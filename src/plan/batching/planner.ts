/**
 * Multi-SLO batching planner (after HarmonyBatch, IWQoS'24): applications sharing one model are put in groups;
 * each group batches its requests (size cap B, timeout T) and runs them on its own functions. Per group the
 * functions come from the partition planner (planPartition) run on the profile at batch B with an execution
 * budget E; B, E and T are searched so that the group's p99 (queue-model.ts: wait + execution + hand-offs) meets
 * the tightest SLO in the group at the least cost per request.
 *
 * Grouping: HarmonyBatch merges SLO-sorted applications greedily in two stages, which only ever forms groups of
 * applications adjacent in SLO order. We search all groupings instead: a DP over subsets (every set partition)
 * up to EXACT_APPS applications, and over SLO-contiguous groups (HarmonyBatch's space, optimal within it) above.
 * A group's cost depends only on (tightest SLO, total rate), which the evaluation is cached by.
 */
import { MoparError, quantile } from '../../core/index.js';
import type { Profile } from '../../profile/index.js';
import { invocationUSD } from '../billing.js';
import { getPlatform } from '../platforms.js';
import type { Plan, PlanFunction } from '../types.js';
// A cycle (plan/index.ts re-exports this module), harmless: planPartition is only called, never read at load.
import { planPartition } from '../index.js';
import { batchFactor, maxBatchOf, profileAtBatch } from './batched-profile.js';
import { arrivalTimes, isPoisson, mergeArrivals, traceDurationMs, type ArrivalSpec } from './arrivals.js';
import { costPerRequest, latencyQuantile, meanBatchSize, type BatchQueue, type ExecMs } from './queue-model.js';
import { simulateArrivals } from './simulate.js';

/** An application: its p99 SLO and mean rate; arrivals other than Poisson (bursty, a trace) are planned by replay. */
export interface AppSpec { name: string; sloMs: number; ratePerSec: number; arrivals?: ArrivalSpec }

/**
 * Arrival times a group is planned on when some member is not Poisson: the members' streams merged. `key` names
 * the member set (the evaluation cache is keyed by it instead of the total rate).
 */
export interface GroupArrivals { key: string; timesMs: Float64Array }

/** Evaluates one (B, T) for a group: the Poisson closed forms, or a replay of the group's arrival times. */
interface QueueEval {
  p99(q: BatchQueue, exec: ExecMs): number;
  cost(q: BatchQueue, exec: ExecMs, batchUSD: (b: number) => number): { usd: number; meanBatch: number };
}
const POISSON_EVAL: QueueEval = {
  p99: (q, exec) => latencyQuantile(q, exec, 0.99),
  cost: (q, _exec, batchUSD) => ({ usd: costPerRequest(q, batchUSD), meanBatch: meanBatchSize(q) }),
};
function replayEval(timesMs: Float64Array): QueueEval {
  return {
    p99: (q, exec) => quantile(simulateArrivals(timesMs, q, exec).latencies, 0.99),
    cost: (q, exec, batchUSD) => {
      const sizes = simulateArrivals(timesMs, q, exec).batchSizes;
      const usd = sizes.reduce((s, b) => s + batchUSD(b), 0);
      return { usd: usd / timesMs.length, meanBatch: timesMs.length / sizes.length };
    },
  };
}

export type BatchStrategy = 'harmony' | 'per-app' | 'one-group' | 'unbatched' | 'concurrency';
/** `concurrency` only on platforms that bill concurrent requests on one instance together (Cloud Run). */
export const BATCH_STRATEGIES: readonly BatchStrategy[] = ['harmony', 'per-app', 'one-group', 'unbatched', 'concurrency'];

export interface BatchGroup {
  apps: string[];
  /** Tightest SLO in the group (every request of the group sees the same latency distribution). */
  sloMs: number;
  ratePerSec: number;
  maxBatch: number;
  timeoutMs: number;
  functions: PlanFunction[];
  predicted: {
    p99Ms: number;
    meanBatch: number;
    /** Execution + hand-offs of a full batch (the budget the partition planner was given, met). */
    execMsAtMax: number;
    costPerRequestUSD: number;
  };
}

export interface BatchPlanOutcome {
  strategy: BatchStrategy;
  /** False when some application cannot meet its SLO under this strategy (groups then omit it). */
  feasible: boolean;
  groups: BatchGroup[];
  /** Rate-weighted over all applications. */
  costPerRequestUSD: number;
  /** Applications this strategy could not serve within their SLO. */
  infeasibleApps: string[];
}

export interface BatchingOptions {
  platform: string;
  /** Partition strategy for each group's functions (default mopar). */
  strategy?: string;
  /** Batch sizes to consider (default 1, 2, 4, 8, 16, 32, capped by the batch profile). */
  batchSizes?: number[];
  /** Fraction of each SLO kept free for execution noise: the plan's p99 is ≤ (1 − headroom) · SLO (default 0.1). */
  headroom?: number;
  /** Seed of the replayed arrivals of non-Poisson applications (default 1). */
  seed?: number;
  /**
   * The model's max batch (the partition's `maxBatch`): a group's batch is one run of the chain, so it holds at
   * most this many requests (rows); larger sizes in `batchSizes` are dropped.
   */
  maxBatch?: number;
}

export interface BatchingResult {
  kind: 'mopar.batching';
  model: string;
  platform: string;
  apps: AppSpec[];
  /** The chosen plan (harmony). */
  groups: BatchGroup[];
  costPerRequestUSD: number;
  /** Every strategy, computed by the same code: harmony, per-app (BATCH), one-group, unbatched. */
  strategies: BatchPlanOutcome[];
  notes: string[];
}

/** Up to this many applications every grouping is searched (2^n group evaluations). */
export const EXACT_APPS = 6;
/**
 * Default SLO headroom: the embedded runtime ran ResNet-50 5–25 % over its profile (configs.ts
 * COARSE_BILLING_MARGIN); a plan that puts its p99 exactly on the SLO would miss it under that noise.
 */
export const DEFAULT_HEADROOM = 0.1;
const DEFAULT_SIZES = [1, 2, 4, 8, 16, 32];
/** Execution budgets tried per batch size, as fractions of the group's SLO. */
const BUDGET_FRACTIONS = [0.2, 0.35, 0.5, 0.7, 0.9, 1];
/** Timeouts tried below the largest feasible one (coarse billing makes cost not monotone in T). */
const TIMEOUT_FRACTIONS = [1, 0.75, 0.5, 0.25];

export function checkApps(apps: readonly AppSpec[]): void {
  if (apps.length === 0) throw new MoparError('no applications given (use --apps FILE or --app NAME:SLO_MS:RATE)');
  const seen = new Set<string>();
  for (const a of apps) {
    if (typeof a.name !== 'string' || a.name.length === 0) throw new MoparError('an application has an empty name');
    if (seen.has(a.name)) throw new MoparError(`application '${a.name}' is given twice`);
    seen.add(a.name);
    if (!(a.sloMs > 0) || !Number.isFinite(a.sloMs)) throw new MoparError(`application '${a.name}': sloMs must be a positive number, got ${a.sloMs}`);
    if (!(a.ratePerSec > 0) || !Number.isFinite(a.ratePerSec)) throw new MoparError(`application '${a.name}': ratePerSec must be a positive number, got ${a.ratePerSec}`);
  }
}

/** One group's best configuration, or undefined when no batch size and budget meet its SLO. */
export interface GroupChoice {
  maxBatch: number;
  timeoutMs: number;
  plan: Plan;
  exec: ExecMs;
  batchUSD: (b: number) => number;
  p99Ms: number;
  meanBatch: number;
  costPerRequestUSD: number;
}

/** Evaluates groups for one model and platform; caches partition plans by (B, E) and groups by (SLO, rate). */
export class GroupEvaluator {
  private readonly plans = new Map<string, Plan | null>();
  private readonly groups = new Map<string, GroupChoice | null>();
  private readonly sizes: number[];
  private readonly profiles = new Map<number, Profile>();

  constructor(private readonly profile: Profile, private readonly opts: BatchingOptions) {
    const h = opts.headroom ?? DEFAULT_HEADROOM;
    if (!(h >= 0 && h < 1)) throw new MoparError(`headroom must be in [0, 1), got ${h}`);
    const cap = maxBatchOf(profile, Math.min(opts.maxBatch ?? Infinity, Math.max(...(opts.batchSizes ?? DEFAULT_SIZES))));
    this.sizes = [...new Set(opts.batchSizes ?? DEFAULT_SIZES)].filter((b) => Number.isInteger(b) && b >= 1 && b <= cap).sort((a, b) => a - b);
    if (!this.sizes.includes(1)) this.sizes.unshift(1);
  }

  /** Best (B, T, functions) for a group of total rate λ whose tightest SLO is appSloMs (less the headroom); `unbatched` forces B = 1. */
  choose(appSloMs: number, ratePerSec: number, unbatched = false, arrivals?: GroupArrivals): GroupChoice | undefined {
    const sloMs = appSloMs * (1 - (this.opts.headroom ?? DEFAULT_HEADROOM));
    const key = `${sloMs}|${arrivals ? arrivals.key : ratePerSec}|${unbatched}`;
    if (!this.groups.has(key)) {
      const ev = arrivals ? replayEval(arrivals.timesMs) : POISSON_EVAL;
      this.groups.set(key, this.search(sloMs, ratePerSec, unbatched, ev) ?? null);
    }
    return this.groups.get(key) ?? undefined;
  }

  private search(sloMs: number, ratePerSec: number, unbatched: boolean, ev: QueueEval): GroupChoice | undefined {
    let best: GroupChoice | undefined;
    for (const B of unbatched ? [1] : this.sizes) {
      // Smaller budgets for B = 1 too: a plan that meets the SLO on average may not once quota waits count.
      for (const frac of BUDGET_FRACTIONS) {
        const plan = this.planAt(B, sloMs * frac);
        if (!plan) continue;
        const { exec, batchUSD } = this.batchModel(plan, B);
        if (exec(B) > sloMs) continue;
        const tMax = B === 1 ? 0 : maxTimeout(ratePerSec, B, exec, sloMs, ev);
        for (const tf of B === 1 ? [0] : TIMEOUT_FRACTIONS) {
          const q: BatchQueue = { ratePerSec, maxBatch: B, timeoutMs: tMax * tf };
          const { usd: cost, meanBatch } = ev.cost(q, exec, batchUSD);
          if (best && cost >= best.costPerRequestUSD * (1 - 1e-9)) continue;
          best = { maxBatch: B, timeoutMs: q.timeoutMs, plan, exec, batchUSD, p99Ms: ev.p99(q, exec), meanBatch, costPerRequestUSD: cost };
        }
      }
    }
    return best;
  }

  /** The partition plan for batches of B within an execution budget, or null when none meets it. */
  private planAt(B: number, budgetMs: number): Plan | null {
    const key = `${B}|${budgetMs}`;
    if (!this.plans.has(key)) {
      let plan: Plan | null = null;
      try {
        let p = this.profiles.get(B);
        if (!p) { p = profileAtBatch(this.profile, B); this.profiles.set(B, p); }
        plan = planPartition(p, { platform: this.opts.platform, strategy: this.opts.strategy, sloMs: budgetMs });
      } catch (err) {
        if (!(err instanceof MoparError)) throw err;
      }
      this.plans.set(key, plan);
    }
    return this.plans.get(key)!;
  }

  /**
   * The platform's own request concurrency, unbatched (the fair baseline where concurrent requests on one
   * instance are billed together): every function a service whose instances each serve requests side by side
   * (processor sharing), scaled out at the platform's target utilisation. Per function with service time S and
   * utilisation ρ per instance: busy periods last S/(1 − ρ) on average and hold 1/(1 − ρ) requests, each busy
   * period billed once by the one price formula (the request fee stays per request); latency is the PS mean
   * S/(1 − ρ) plus the hand-off (a mean, not a p99: the model does not give the PS tail).
   */
  chooseConcurrent(appSloMs: number, ratePerSec: number): GroupChoice | undefined {
    const p = getPlatform(this.opts.platform);
    const conc = p.concurrency;
    if (!conc) return undefined;
    const sloMs = appSloMs * (1 - (this.opts.headroom ?? DEFAULT_HEADROOM));
    let best: GroupChoice | undefined;
    for (const frac of BUDGET_FRACTIONS) {
      const plan = this.planAt(1, sloMs * frac);
      if (!plan) continue;
      const perFnUSD = plan.functions.reduce((s, f) => s + invocationUSD(p, f, f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs), 0);
      const extraUSD = Math.max(0, plan.predicted.costPerMillionUSD / 1e6 - perFnUSD);
      let usd = extraUSD;
      const groupMs = new Map<string, number>();
      for (const f of plan.functions) {
        const serviceMs = f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs;
        const load = ratePerSec * serviceMs / 1000;
        const instances = Math.max(1, Math.ceil(load / conc.targetUtilisation), Math.ceil(ratePerSec / 1000 * serviceMs / conc.maxPerInstance));
        const rho = load / instances;
        const busyMs = serviceMs / (1 - rho);
        usd += (invocationUSD(p, f, busyMs) - p.price.perRequest) * (1 - rho) + p.price.perRequest;
        const ms = (f.predicted.handInMs ?? 0) + f.predicted.ms / (1 - rho) + p.hop.invokeMs;
        groupMs.set(f.group, Math.max(groupMs.get(f.group) ?? 0, ms));
      }
      const latency = [...groupMs.values()].reduce((a, b) => a + b, 0);
      if (latency > sloMs || (best && usd >= best.costPerRequestUSD)) continue;
      best = { maxBatch: 1, timeoutMs: 0, plan, exec: () => latency, batchUSD: () => usd, p99Ms: latency, meanBatch: 1, costPerRequestUSD: usd };
    }
    return best;
  }

  /**
   * exec(b) and batchUSD(b) for the functions planned at batch B running a batch of b ≤ B: compute scales by
   * latency(b)/latency(B); hand-offs are kept at B's bytes and the handler time per invocation is fixed
   * (conservative for b < B). Each function is billed once per batch by the one price formula.
   * exec(b) is a p99 figure: a function below 1 vCPU may wait up to (1 − vCPU) × the quota period before its
   * call runs (platform.quotaPeriodMs). Measured on the embedded runtime (100 ms CFS periods): MobileNetV2 batches
   * at 0.125 vCPU mostly ran at full speed but now and then waited one to three periods, so groups planned on the
   * average alone met their 200 ms SLO for 68–84 % of requests.
   */
  private batchModel(plan: Plan, B: number): { exec: ExecMs; batchUSD: (b: number) => number } {
    const p = getPlatform(this.opts.platform);
    const byGroup = new Map<string, PlanFunction[]>();
    for (const f of plan.functions) byGroup.set(f.group, [...(byGroup.get(f.group) ?? []), f]);
    const ratio = (f: PlanFunction, b: number) => batchFactor(this.profile, b, f.vcpu) / batchFactor(this.profile, B, f.vcpu);
    const perFnUSD = plan.functions.reduce((s, f) => s + invocationUSD(p, f, f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs), 0);
    // Producer-side transfer time and object-store fees per batch: the plan's total minus its functions' own.
    const extraUSD = Math.max(0, plan.predicted.costPerMillionUSD / 1e6 - perFnUSD);
    // Tabulated for b = 1 … B: the queue model asks for them many times per search.
    const execAt = [0];
    const usdAt = [0];
    for (let b = 1; b <= B; b++) {
      let ms = 0;
      for (const fs of byGroup.values()) {
        ms += Math.max(...fs.map((f) => (f.predicted.handInMs ?? 0) + f.predicted.ms * ratio(f, b) + p.hop.invokeMs + quotaWaitMs(p, f.vcpu)));
      }
      execAt.push(ms);
      usdAt.push(extraUSD + plan.functions.reduce((s, f) => {
        const billed = f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs;
        return s + invocationUSD(p, f, billed - f.predicted.ms * (1 - ratio(f, b)));
      }, 0));
    }
    const exec: ExecMs = (b) => execAt[b]!;
    const batchUSD = (b: number) => usdAt[b]!;
    return { exec, batchUSD };
  }
}

/** The longest a call of a function below 1 vCPU may wait for its CPU quota's next period. */
export function quotaWaitMs(platform: { quotaPeriodMs: number }, vcpu: number): number {
  return vcpu < 1 ? (1 - vcpu) * platform.quotaPeriodMs : 0;
}

/** The largest timeout whose p99 meets the SLO (p99 grows with T: later dispatch, bigger batches). */
function maxTimeout(ratePerSec: number, B: number, exec: ExecMs, sloMs: number, ev: QueueEval): number {
  const p99 = (T: number) => ev.p99({ ratePerSec, maxBatch: B, timeoutMs: T }, exec);
  let lo = 0;
  let hi = Math.max(0, sloMs - exec(1));
  if (p99(hi) <= sloMs) return hi;
  // A replayed p99 is a step function of T (one sample more or less over the line): 0.5 ms steps suffice.
  for (let i = 0; i < 40 && hi - lo > (ev === POISSON_EVAL ? 0.05 : 0.5); i++) {
    const mid = (lo + hi) / 2;
    if (p99(mid) <= sloMs) lo = mid; else hi = mid;
  }
  return lo;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** Generates (once per application, seeded) the arrival times groups with non-Poisson members are planned on. */
export class WorkloadArrivals {
  private readonly times = new Map<string, Float64Array>();
  /** Replay horizon: the longest trace, or long enough for REPLAY_ARRIVALS arrivals of all applications together. */
  readonly horizonMs: number;

  constructor(private readonly apps: readonly AppSpec[], private readonly seed = 1) {
    const traces = apps.map(traceDurationMs).filter((d): d is number => d !== undefined);
    const total = apps.reduce((s, a) => s + a.ratePerSec, 0);
    this.horizonMs = traces.length ? Math.max(...traces) : REPLAY_ARRIVALS / total * 1000;
  }

  /** Merged arrivals of a group, or undefined when every member is Poisson (the closed forms apply). */
  of(members: readonly AppSpec[]): GroupArrivals | undefined {
    if (members.every(isPoisson)) return undefined;
    const streams = members.map((a) => {
      let t = this.times.get(a.name);
      if (!t) {
        t = arrivalTimes(a, this.horizonMs, this.seed + this.apps.findIndex((x) => x.name === a.name));
        this.times.set(a.name, t);
      }
      return t;
    });
    return { key: members.map((a) => a.name).sort().join('\u0000'), timesMs: mergeArrivals(streams).timesMs };
  }
}
/** Arrivals a replayed plan is evaluated on when no trace sets the horizon (p99 from ≥ 40 samples above it). */
export const REPLAY_ARRIVALS = 4000;

function groupOf(ev: GroupEvaluator, apps: AppSpec[], unbatched = false, concurrent = false, arrivals?: WorkloadArrivals): BatchGroup | undefined {
  const sloMs = Math.min(...apps.map((a) => a.sloMs));
  const ratePerSec = apps.reduce((s, a) => s + a.ratePerSec, 0);
  const c = concurrent ? ev.chooseConcurrent(sloMs, ratePerSec) : ev.choose(sloMs, ratePerSec, unbatched, arrivals?.of(apps));
  if (!c) return undefined;
  const group: BatchGroup = {
    apps: apps.map((a) => a.name), sloMs, ratePerSec: round(ratePerSec, 6), maxBatch: c.maxBatch,
    timeoutMs: round(c.timeoutMs, 3), functions: c.plan.functions,
    predicted: { p99Ms: round(c.p99Ms, 3), meanBatch: round(c.meanBatch, 4), execMsAtMax: round(c.exec(c.maxBatch), 3),
      costPerRequestUSD: c.costPerRequestUSD },
  };
  GROUP_PLANS.set(group, c.plan);
  return group;
}

/** The whole partition plan behind a group's functions (in-process only: bench builds each group's functions from it). */
const GROUP_PLANS = new WeakMap<BatchGroup, Plan>();
export function planOfGroup(group: BatchGroup): Plan | undefined {
  return GROUP_PLANS.get(group);
}

function outcome(strategy: BatchStrategy, apps: AppSpec[], groups: Array<BatchGroup | undefined>, members: AppSpec[][]): BatchPlanOutcome {
  const ok = groups.filter((g): g is BatchGroup => g !== undefined);
  const infeasibleApps = members.filter((_, i) => !groups[i]).flat().map((a) => a.name);
  const rate = ok.reduce((s, g) => s + g.ratePerSec, 0);
  const usdPerSec = ok.reduce((s, g) => s + g.ratePerSec * g.predicted.costPerRequestUSD, 0);
  return { strategy, feasible: infeasibleApps.length === 0 && apps.length > 0, groups: ok,
    costPerRequestUSD: rate > 0 ? usdPerSec / rate : NaN, infeasibleApps };
}

/** The cheapest grouping (USD per second over all apps) and its groups; undefined when some app is infeasible. */
export function bestGrouping(ev: GroupEvaluator, apps: AppSpec[], concurrent = false, arrivals?: WorkloadArrivals): AppSpec[][] | undefined {
  const sorted = [...apps].sort((a, b) => a.sloMs - b.sloMs || (a.name < b.name ? -1 : 1));
  const cost = (members: AppSpec[]) => {
    const slo = Math.min(...members.map((a) => a.sloMs));
    const rate = members.reduce((s, a) => s + a.ratePerSec, 0);
    const c = concurrent ? ev.chooseConcurrent(slo, rate) : ev.choose(slo, rate, false, arrivals?.of(members));
    return c ? rate * c.costPerRequestUSD : Infinity;
  };
  const n = sorted.length;
  if (n <= EXACT_APPS) {
    // DP over subsets: best[mask] = min over the group holding mask's lowest app.
    const full = (1 << n) - 1;
    const best = new Float64Array(1 << n).fill(Infinity);
    const pick = new Int32Array(1 << n);
    const groupCost = new Float64Array(1 << n);
    for (let m = 1; m <= full; m++) groupCost[m] = cost(sorted.filter((_, i) => m & (1 << i)));
    best[0] = 0;
    for (let m = 1; m <= full; m++) {
      const low = m & -m;
      const rest = m ^ low;
      // Every sub-mask s of rest: the group is s ∪ {low}.
      for (let s = rest; ; s = (s - 1) & rest) {
        const g = s | low;
        const v = groupCost[g]! + best[m ^ g]!;
        if (v < best[m]! - 1e-18) { best[m] = v; pick[m] = g; }
        if (s === 0) break;
      }
    }
    if (!Number.isFinite(best[full]!)) return undefined;
    const out: AppSpec[][] = [];
    for (let m = full; m > 0; m ^= pick[m]!) out.push(sorted.filter((_, i) => pick[m]! & (1 << i)));
    return out.sort((a, b) => a[0]!.sloMs - b[0]!.sloMs);
  }
  // Contiguous groups in SLO order (HarmonyBatch's grouping space).
  const best = new Array<number>(n + 1).fill(Infinity);
  const from = new Array<number>(n + 1).fill(0);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    for (let i = 0; i < j; i++) {
      const v = best[i]! + cost(sorted.slice(i, j));
      if (v < best[j]!) { best[j] = v; from[j] = i; }
    }
  }
  if (!Number.isFinite(best[n]!)) return undefined;
  const out: AppSpec[][] = [];
  for (let j = n; j > 0; j = from[j]!) out.unshift(sorted.slice(from[j]!, j));
  return out;
}

/** Plans batching for a set of applications on one model and platform, with the baselines computed alike. */
export function planBatching(profile: Profile, apps: AppSpec[], opts: BatchingOptions): BatchingResult {
  checkApps(apps);
  const ev = new GroupEvaluator(profile, opts);
  const singles = apps.map((a) => [a]);
  const strategies: BatchPlanOutcome[] = [];
  const arrivals = apps.every(isPoisson) ? undefined : new WorkloadArrivals(apps, opts.seed);
  const grouping = bestGrouping(ev, apps, false, arrivals);
  const harmonyMembers = grouping ?? singles;
  strategies.push(outcome('harmony', apps, harmonyMembers.map((m) => groupOf(ev, m, false, false, arrivals)), harmonyMembers));
  strategies.push(outcome('per-app', apps, singles.map((m) => groupOf(ev, m, false, false, arrivals)), singles));
  strategies.push(outcome('one-group', apps, [groupOf(ev, apps, false, false, arrivals)], [apps]));
  strategies.push(outcome('unbatched', apps, singles.map((m) => groupOf(ev, m, true, false, arrivals)), singles));
  const platform = getPlatform(opts.platform);
  if (platform.concurrency) {
    // Services grouped the same way (a service per group of applications), each at its tightest SLO.
    const services = bestGrouping(ev, apps, true) ?? singles;
    strategies.push(outcome('concurrency', apps, services.map((m) => groupOf(ev, m, false, true)), services));
  }
  const chosen = strategies[0]!;
  if (!chosen.feasible) {
    throw new MoparError(`no batching plan meets every SLO on ${opts.platform}: ${chosen.infeasibleApps.map((n) => {
      const a = apps.find((x) => x.name === n)!;
      return `'${n}' (${a.sloMs} ms)`;
    }).join(', ')} ${chosen.infeasibleApps.length === 1 ? 'is' : 'are'} tighter than the fastest plan for one request`);
  }
  const notes: string[] = [];
  if (!profile.batch) notes.push('no batch profile: per-item time assumed flat in the batch size (latency(b) = b · latency(1))');
  if (platform.concurrency) notes.push(`'concurrency' (${platform.name}'s own request concurrency, one service per group of applications, grouped like 'harmony'): its latency is a processor-sharing mean, not a p99`);
  if (arrivals) notes.push(`applications with bursty or traced arrivals (${apps.filter((a) => !isPoisson(a)).map((a) => a.name).join(', ')}): their groups are planned on a seeded replay of ${Math.round(arrivals.horizonMs / 1000)} s of arrivals (p99 and batch sizes simulated, not the Poisson closed forms)`);
  if (apps.length > EXACT_APPS) notes.push(`more than ${EXACT_APPS} applications: groups searched among SLO-contiguous ones only`);
  return {
    kind: 'mopar.batching', model: profile.model, platform: opts.platform, apps,
    groups: chosen.groups, costPerRequestUSD: chosen.costPerRequestUSD, strategies, notes,
  };
}
