/**
 * One batching group's best configuration (batch size B, execution budget E, timeout T) for a tightest SLO and a
 * rate: the partition planner run on the profile at batch B, and the queue evaluated by the Poisson closed forms or
 * by a replay of the group's merged arrivals (WorkloadArrivals). planner.ts searches groupings over these.
 */
import { MoparError, quantile } from '../../core/index.js';
import type { Profile } from '../../profile/index.js';
import { initUSD, invocationUSD, warmUSDPerSecond } from '../billing.js';
import { coldStartMs, functionWeightsMB } from '../cold-start.js';
import { getPlatform } from '../platforms.js';
import type { Plan, PlanFunction } from '../types.js';
// A cycle (plan/index.ts re-exports this module), harmless: planPartition is only called, never at load time.
import { planPartition } from '../index.js';
import { batchFactor, maxBatchOf, profileAtBatch } from './batched-profile.js';
import { arrivalTimes, isPoisson, mergeArrivals, poissonTimes, traceDurationMs } from './arrivals.js';
import { costPerRequest, latencyQuantile, meanBatchSize, type BatchQueue, type ExecMs } from './queue-model.js';
import { simulateArrivals, simulateInstances, type ChainFunction, type InstancePolicy } from './simulate.js';
import type { AppSpec, BatchingOptions } from './planner.js';

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
/** Warm minimums (instances per function) tried where the platform prices one (`instances.warm`). */
export const DEFAULT_WARM_CHOICES = [0, 1, 2, 3, 4];

/** One group's best configuration, or undefined when no batch size and budget meet its SLO. */
export interface GroupChoice {
  maxBatch: number;
  timeoutMs: number;
  plan: Plan;
  exec: ExecMs;
  batchUSD: (b: number) => number;
  /** p99 with instances as a resource: queueing behind starts and busy instances included. */
  p99Ms: number;
  meanBatch: number;
  /** Batches, idle warm capacity and billed instance starts, per request. */
  costPerRequestUSD: number;
  /** Instances per function kept warm (min instances / provisioned concurrency). */
  minInstances: number;
  /** Instance starts (all functions) per hour in the replay, and what warm capacity and starts add per request. */
  startsPerHour: number;
  warmUSDPerRequest: number;
  startsUSDPerRequest: number;
}

/** Evaluates groups for one model and platform; caches partition plans by (B, E) and groups by (SLO, rate). */
export class GroupEvaluator {
  private readonly plans = new Map<string, Plan | null>();
  private readonly groups = new Map<string, GroupChoice | null>();
  private readonly sizes: number[];
  private readonly profiles = new Map<number, Profile>();
  private readonly poisson = new Map<number, Float64Array>();

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
      this.groups.set(key, this.search(sloMs, ratePerSec, unbatched, ev, arrivals?.timesMs ?? this.poissonArrivals(ratePerSec)) ?? null);
    }
    return this.groups.get(key) ?? undefined;
  }

  /**
   * Instances as a resource, jointly with (B, E, T): for every candidate and warm minimum m the group's arrivals
   * (the replay, or seeded Poisson arrivals at its rate) are simulated with each function's instance limit,
   * cold start and keep-alive (simulateInstances); the p99 must meet the SLO with the queueing behind starts
   * and busy instances, and the cost adds m warm instances per function (all the time) and every start billed as
   * the platform bills init (billing.ts initUSD).
   */
  private search(sloMs: number, ratePerSec: number, unbatched: boolean, ev: QueueEval, timesMs: Float64Array): GroupChoice | undefined {
    const p = getPlatform(this.opts.platform);
    const policy = this.instancePolicy();
    const warm = p.instances?.warm ?? null;
    const warmChoices = warm ? (this.opts.warmChoices ?? DEFAULT_WARM_CHOICES).filter((m) => m <= policy.maxInstances) : [0];
    let best: GroupChoice | undefined;
    for (const B of unbatched ? [1] : this.sizes) {
      // Smaller budgets for B = 1 too: a plan that meets the SLO on average may not once quota waits count.
      for (const frac of BUDGET_FRACTIONS) {
        const plan = this.planAt(B, sloMs * frac);
        if (!plan) continue;
        const { exec, batchUSD, chain } = this.batchModel(plan, B);
        if (exec(B) > sloMs) continue;
        const warmUSDPerSec = warmUSDPerSecond(p, plan.functions);
        const startUSD = chain.flat().map((c, i) => initUSD(p, plan.functions[i]!, c.coldMs));
        const tMax = B === 1 ? 0 : maxTimeout(ratePerSec, B, exec, sloMs, ev);
        for (const tf of B === 1 ? [0] : TIMEOUT_FRACTIONS) {
          const q: BatchQueue = { ratePerSec, maxBatch: B, timeoutMs: tMax * tf };
          const { usd: batchCost, meanBatch } = ev.cost(q, exec, batchUSD);
          const queueP99 = ev.p99(q, exec);
          if (queueP99 > sloMs) continue;
          for (const m of warmChoices) {
            const warmUSDPerRequest = m * warmUSDPerSec / ratePerSec;
            // Warm capacity only adds cost: no cheaper choice past here for this (B, E, T).
            if (best && batchCost + warmUSDPerRequest >= best.costPerRequestUSD * (1 - 1e-9)) break;
            const sim = simulateInstances(timesMs, q, chain, { ...policy, minInstances: m });
            // The replay's p99 with instances; never below the queue's own (exact for Poisson groups).
            const p99 = Math.max(queueP99, quantile(sim.latencies, 0.99));
            if (p99 > sloMs) continue;
            const startsUSDPerRequest = sim.starts.reduce((s, k, i) => s + k * startUSD[i]!, 0) / timesMs.length;
            const cost = batchCost + warmUSDPerRequest + startsUSDPerRequest;
            if (best && cost >= best.costPerRequestUSD * (1 - 1e-9)) continue;
            const spanH = Math.max(1e-9, (timesMs[timesMs.length - 1]! - timesMs[0]!) / 3_600_000);
            best = { maxBatch: B, timeoutMs: q.timeoutMs, plan, exec, batchUSD, p99Ms: p99, meanBatch, costPerRequestUSD: cost,
              minInstances: m, startsPerHour: sim.starts.reduce((a, b) => a + b, 0) / spanH, warmUSDPerRequest, startsUSDPerRequest };
          }
        }
      }
    }
    return best;
  }

  /** Instance limit and keep-alive: the options', else the platform's (no record: unlimited, never reclaimed). */
  private instancePolicy(): InstancePolicy {
    const p = getPlatform(this.opts.platform);
    return {
      minInstances: 0,
      maxInstances: this.opts.maxInstances ?? p.instances?.defaultMax ?? Number.MAX_SAFE_INTEGER,
      idleKeepMs: this.opts.idleKeepMs ?? p.instances?.idleKeepMs ?? Infinity,
    };
  }

  /** Seeded Poisson arrivals at a rate (REPLAY_ARRIVALS of them), for the instance simulation of Poisson groups. */
  private poissonArrivals(ratePerSec: number): Float64Array {
    let t = this.poisson.get(ratePerSec);
    if (!t) { t = Float64Array.from(poissonTimes(ratePerSec, Infinity, this.opts.seed ?? 1, REPLAY_ARRIVALS)); this.poisson.set(ratePerSec, t); }
    return t;
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
    const { maxInstances } = this.instancePolicy();
    // Beside the SLO's fractions, the time per request at which the instance limit carries the rate at the target
    // utilisation: a loose SLO alone picks the slowest, cheapest size, which a limited pool cannot run at this rate.
    const carriedMs = maxInstances * conc.targetUtilisation * 1000 / ratePerSec;
    const budgets = [...BUDGET_FRACTIONS.map((f) => sloMs * f), ...(carriedMs < sloMs ? [carriedMs] : [])];
    let best: GroupChoice | undefined;
    for (const budgetMs of budgets) {
      const plan = this.planAt(1, budgetMs);
      if (!plan) continue;
      const perFnUSD = plan.functions.reduce((s, f) => s + invocationUSD(p, f, f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs), 0);
      const extraUSD = Math.max(0, besideFunctionsUSD(plan) - perFnUSD);
      let usd = extraUSD;
      let overloaded = false;
      const groupMs = new Map<string, number>();
      for (const f of plan.functions) {
        const serviceMs = f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs;
        const load = ratePerSec * serviceMs / 1000;
        // As many as the target utilisation asks, within the instance limit (the runtime's pool, or the platform's).
        const instances = Math.min(maxInstances, Math.max(1, Math.ceil(load / conc.targetUtilisation), Math.ceil(ratePerSec / 1000 * serviceMs / conc.maxPerInstance)));
        const rho = load / instances;
        if (rho >= 1) { overloaded = true; break; }
        const busyMs = serviceMs / (1 - rho);
        usd += (invocationUSD(p, f, busyMs) - p.price.perRequest) * (1 - rho) + p.price.perRequest;
        const ms = (f.predicted.handInMs ?? 0) + f.predicted.ms / (1 - rho) + p.hop.invokeMs;
        groupMs.set(f.group, Math.max(groupMs.get(f.group) ?? 0, ms));
      }
      const latency = [...groupMs.values()].reduce((a, b) => a + b, 0);
      if (overloaded || latency > sloMs || (best && usd >= best.costPerRequestUSD)) continue;
      best = { maxBatch: 1, timeoutMs: 0, plan, exec: () => latency, batchUSD: () => usd, p99Ms: latency, meanBatch: 1, costPerRequestUSD: usd,
        minInstances: 0, startsPerHour: 0, warmUSDPerRequest: 0, startsUSDPerRequest: 0 };
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
  private batchModel(plan: Plan, B: number): { exec: ExecMs; batchUSD: (b: number) => number; chain: ChainFunction[][] } {
    const p = getPlatform(this.opts.platform);
    const byGroup = new Map<string, PlanFunction[]>();
    for (const f of plan.functions) byGroup.set(f.group, [...(byGroup.get(f.group) ?? []), f]);
    const ratio = (f: PlanFunction, b: number) => batchFactor(this.profile, b, f.vcpu) / batchFactor(this.profile, B, f.vcpu);
    const perFnUSD = plan.functions.reduce((s, f) => s + invocationUSD(p, f, f.predicted.billedMs ?? f.predicted.ms + p.hop.invokeMs), 0);
    // Producer-side transfer time and object-store fees per batch: the plan's total (less its entry) minus its functions' own.
    const extraUSD = Math.max(0, besideFunctionsUSD(plan) - perFnUSD);
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
    // Per function, for the instance simulation: the same terms exec(b) takes the stage maximum of.
    const fnMs = (f: PlanFunction) => {
      const at = [0];
      for (let b = 1; b <= B; b++) at.push((f.predicted.handInMs ?? 0) + f.predicted.ms * ratio(f, b) + p.hop.invokeMs + quotaWaitMs(p, f.vcpu));
      return (b: number) => at[b]!;
    };
    const chain = [...byGroup.values()].map((fs) => fs.map((f) => ({
      ms: fnMs(f), coldMs: f.predicted.coldStartMs ?? coldStartMs(p, functionWeightsMB(f), f.vcpu).ms,
    })));
    return { exec, batchUSD, chain };
  }
}

/**
 * A plan's predicted USD per request less its entry's (plan.predicted.entryCostPerMillionUSD): what is left beyond
 * its functions is hand-off time and fees, per batch. The entry of a batched deployment (which holds each request
 * while its batch forms and runs) is not priced here.
 */
function besideFunctionsUSD(plan: Plan): number {
  return (plan.predicted.costPerMillionUSD - (plan.predicted.entryCostPerMillionUSD ?? 0)) / 1e6;
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
