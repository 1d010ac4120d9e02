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
import { MoparError } from '../../core/index.js';
import type { Profile } from '../../profile/index.js';
import { getPlatform } from '../platforms.js';
import type { Plan, PlanFunction } from '../types.js';
import { isPoisson, type ArrivalSpec } from './arrivals.js';
import { GroupEvaluator, WorkloadArrivals } from './group-eval.js';

/** An application: its p99 SLO and mean rate; arrivals other than Poisson (bursty, a trace) are planned by replay. */
export interface AppSpec { name: string; sloMs: number; ratePerSec: number; arrivals?: ArrivalSpec }

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
  /** Instances of every function of the group kept warm (Cloud Run min-instances, Lambda provisioned concurrency). */
  minInstances: number;
  functions: PlanFunction[];
  predicted: {
    /** Including queueing behind instance starts and busy instances (the instance limit), simulated. */
    p99Ms: number;
    meanBatch: number;
    /** Execution + hand-offs of a full batch (the budget the partition planner was given, met). */
    execMsAtMax: number;
    /** Batches + idle warm capacity + billed instance starts, per request. */
    costPerRequestUSD: number;
    /** Instance starts per hour (all the group's functions) in the simulated arrivals. */
    startsPerHour: number;
    /** The parts of costPerRequestUSD that the warm minimum and the billed starts make. */
    warmUSDPerRequest: number;
    startsUSDPerRequest: number;
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
  /** Most instances per function (default: the platform's `instances.defaultMax`; unlimited without a record). */
  maxInstances?: number;
  /** How long an idle instance above the warm minimum is kept (default: the platform's `instances.idleKeepMs`). */
  idleKeepMs?: number;
  /** Warm minimums to choose from (default 0–4; only 0 where the platform prices no warm capacity). */
  warmChoices?: number[];
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

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;


function groupOf(ev: GroupEvaluator, apps: AppSpec[], unbatched = false, concurrent = false, arrivals?: WorkloadArrivals): BatchGroup | undefined {
  const sloMs = Math.min(...apps.map((a) => a.sloMs));
  const ratePerSec = apps.reduce((s, a) => s + a.ratePerSec, 0);
  const c = concurrent ? ev.chooseConcurrent(sloMs, ratePerSec) : ev.choose(sloMs, ratePerSec, unbatched, arrivals?.of(apps));
  if (!c) return undefined;
  const group: BatchGroup = {
    apps: apps.map((a) => a.name), sloMs, ratePerSec: round(ratePerSec, 6), maxBatch: c.maxBatch,
    timeoutMs: round(c.timeoutMs, 3), minInstances: c.minInstances, functions: c.plan.functions,
    predicted: { p99Ms: round(c.p99Ms, 3), meanBatch: round(c.meanBatch, 4), execMsAtMax: round(c.exec(c.maxBatch), 3),
      costPerRequestUSD: c.costPerRequestUSD, startsPerHour: round(c.startsPerHour, 3), warmUSDPerRequest: c.warmUSDPerRequest,
      startsUSDPerRequest: c.startsUSDPerRequest },
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
