/**
 * The cost model: for a run of units [a, b] as one function (or k parallel sub-slices), every useful
 * configuration with its predicted latency (hand-off in + compute) and cost per request. Everything the planners
 * compare goes through `segmentOptions`, so all strategies share one objective.
 *
 * Memory per function = (runtime baseline + load factor × weights + peak live activations + in/out buffers)
 * × (1 + headroom). Activations and buffers are the profile's (its input shapes) × `batch`, the model's max batch
 * over the profiled one: a function of a dynamic-batch model must hold its largest allowed batch. The load
 * factor (how many copies of the weights exist at the peak, e.g. the model bytes and the session's own copy) is
 * calibrated from the profile's measured peak RSS of the whole model.
 * Every function pays the per-invocation time (the profile's measured served-call overhead, else
 * platform.hop.invokeMs); the transfer of the model's
 * input and output is the same for every plan and is left out; every cut adds one hand-off. A skip tensor crossing several cuts is counted at each (conservative).
 * A k-way parallel group: every part receives the run's inputs whole (k copies move), its latency is the slowest
 * part's work and its bill the sum of the parts' work, recomputation included (split-work.ts: measured on the
 * graph when the planner has it, a worst-case bound for multi-layer runs when it does not).
 */
import { ACTIVATION_FACTOR, DEFAULT_BASELINE_RSS_MB, SESSION_OVERHEAD_MB, type Profile } from '../profile/index.js';
import type { Platform } from './platforms.js';
import { configsFor, type FnConfig } from './configs.js';
import { invocationUSD, usdPerSecond } from './billing.js';
import { scalingCurve, type ScalingCurve } from './scaling-curve.js';
import { quotaLatency } from './quota-model.js';
import { handOff, TRANSPORTS, type HandOff, type Transport } from './transports/index.js';
import { normalisedLayerMs, sharedAgainMB, type Unit } from './units.js';
import { PARTS, splitWorkModel, type SplitWorkFn } from './split-work.js';
import type { SplitKind, SplitOption, Graph } from '../graph/index.js';

export const HEADROOM = 0.1;
/**
 * The most vCPU whose speed a part of a horizontal split is planned to use. The profile's thread-count points are
 * the whole model's; its parts are smaller operators that intra-op threads may not speed up at all, and we never
 * plan a gain we did not measure. Measured 2026-12-07 (in-process, 1 vs 2 threads, load 2–6): DeiT-S/16's
 * attention-head parts 4.3–4.9 ms either way, GPT-2's sequence parts alike (the whole models: 1.7× and 1.6×
 * faster at 2 threads); VGG-16's convolution parts did speed up (13.5 → 6.8–9.8 ms), which this leaves unplanned.
 * Until parts are profiled at their thread counts, a part is priced and timed at one thread's speed.
 */
export const PART_SPEED_VCPU = 1;
/**
 * A function host (HTTP server, wire codecs, request and response buffers, two intra-op threads) over the
 * profiler's bare process. Measured on VGG-16's 37 single-layer hosts (bench cell vgg16 × aws-lambda × layerwise,
 * 2026-11-23): peaks of 122–176 MB, up to 47 MB over the RSS model at the profiler's baseline once HEADROOM is
 * applied (worst: the 112×112 layers, 165–176 MB). One model's calibration; hosts of other shapes may differ.
 */
export const HOST_OVERHEAD_MB = 50;
const MB = 1024 * 1024;

export interface ModelOptions {
  /** Allow horizontal splits (k > 1). */
  horizontal: boolean;
  /** Transports the strategy may use (AMPS-Inf stages everything through the object store). */
  transports: readonly Transport[];
  /** Restrict configurations (e.g. a single fixed configuration); default: all the platform offers. */
  vcpuGrid?: readonly number[];
  /**
   * Most weights one function (one part) may hold, MB: bounds each function's cold start (fetch + load), so that
   * heavy layers are cut or split into parts that load in parallel (the cold-start search, plan-partition.ts).
   */
  maxPartWeightsMB?: number;
  /** Fewest vCPU a function may have: the cold-start search's floor for fetching at the stream's rate. */
  minVcpu?: number;
}

export interface SegmentOption {
  /** Critical-path time: hand-off into the segment + the slowest part's compute. */
  latencyMs: number;
  costUSD: number;
  parts: number;
  kind?: SplitKind;
  config: FnConfig;
  /** Per part: compute ms, billed ms, memory need (MB). */
  computeMs: number;
  billedMs: number;
  needMB: number;
  partUSD: number;
  handIn?: HandOff;
  /** Per part: the work at one core's speed (a fractional quota runs it that fast inside a period), ms. */
  fullSpeedMs: number;
  /** Per part: p99 − p50 of its call (the quota's throttled period), ms. */
  tailMs: number;
  /** Per part: its call's median when not kept busy (computeMs may be the quota's sustained rate instead), ms. */
  aloneMs: number;
  /**
   * The share of `costUSD` that is the deployment's entry (and workflow), not this segment's functions: set by the
   * DP's problem (problem.ts) on every segment of a multi-function plan, in orchestration.ts's linear form.
   */
  orchestrationUSD?: number;
}

export interface CostContext {
  platform: Platform;
  curve: ScalingCurve;
  units: Unit[];
  baselineMB: number;
  loadFactor: number;
  inputBytes: number;
  refVcpu: number;
  /** Prefix sums over units of reference ms and weights MB (index i = sum of units [0, i)). */
  msPrefix: Float64Array;
  paramPrefix: Float64Array;
  /** Weights several layers read (units.ts sharedAgainMB adds them to a slice that holds a later reader); 0-MB ones (scalars) left out. */
  shared: NonNullable<Profile['sharedWeights']>;
  /** curve.factor memoised per vCPU share. */
  factorCache: Map<number, number>;
  /** Work of a horizontal split of a run of layers (measured on the graph when there is one). */
  splitWork: SplitWorkFn;
  /** runFacts per segment (key a · n + b). */
  runCache: Map<number, RunFacts>;
  /** Memory is sized for this many times the profile's batch (activations and in/out buffers; weights do not grow). */
  batch: number;
  /**
   * Time every function call pays besides its work, ms: the profile's measured served-call overhead (host, IPC,
   * codecs) where it has one, else the platform's assumed handler time (platform.hop.invokeMs).
   */
  invokeMs: number;
  /**
   * What one request pays once besides its calls, ms: the measured served overhead of a request beyond its first
   * call (client, HTTP, gateway) and its input's and reply's bytes, each at its measured rate (else 0). Strategies plan
   * the functions within the SLO less this; the plan's latency adds it back.
   */
  requestExtraMs: number;
}

/** What a run of units shares: the splits every unit offers (tightest limits) and the peak activation. */
interface RunFacts { splits: readonly SplitOption[]; peakActivationMB: number }

export function makeContext(profile: Profile, platform: Platform, units: Unit[], graph?: Graph, batch = 1): CostContext {
  const refVcpu = Math.max(1, profile.threads || 1);
  const refMs = profile.measuredMs;
  const curve = scalingCurve(profile.cpuScaling ?? [], refVcpu, refMs);
  const m = profile.memory;
  const baselineMB = m?.baselineRssMB > 0 ? m.baselineRssMB : DEFAULT_BASELINE_RSS_MB;
  let loadFactor = 1;
  if (m && m.weightsMB >= 1 && m.measuredPeakRssMB > 0) {
    loadFactor = (m.measuredPeakRssMB - baselineMB - SESSION_OVERHEAD_MB - ACTIVATION_FACTOR * m.peakActivationMB) / m.weightsMB;
    loadFactor = Math.min(3, Math.max(1, Number.isFinite(loadFactor) ? loadFactor : 1));
  }
  const inputBytes = requestInputBytes(profile.inputShapes);
  const msPrefix = new Float64Array(units.length + 1);
  const paramPrefix = new Float64Array(units.length + 1);
  units.forEach((u, i) => { msPrefix[i + 1] = msPrefix[i]! + u.ms; paramPrefix[i + 1] = paramPrefix[i]! + u.paramMB; });
  const splitWork = splitWorkModel(profile.layers, normalisedLayerMs(profile), graph);
  const invokeMs = profile.invocationOverheadMs !== undefined && profile.invocationOverheadMs >= 0 ? profile.invocationOverheadMs : platform.hop.invokeMs;
  // A reply's bytes (the model's outputs: what crosses the cut after the last layer) at their own measured rate
  // (the input's in profiles without one). Left out until 2026-12-07, GPT-2's 25.7 MB of logits made its
  // one-function cells measure 1.71× their plans; at the input's rate its chains still spent 79 ms outside their calls where 38 were planned.
  const outputBytes = profile.layers.at(-1)?.cutBytesAfter ?? 0;
  const inRate = profile.requestMsPerMB ?? 0;
  const requestExtraMs = Math.max(0, (profile.requestOverheadMs ?? invokeMs) - invokeMs) + (inRate * inputBytes + (profile.replyMsPerMB ?? inRate) * outputBytes) / 2 ** 20;
  return { platform, curve, units, baselineMB, loadFactor, inputBytes, refVcpu, msPrefix, paramPrefix, shared: (profile.sharedWeights ?? []).filter((w) => w.mb > 0), factorCache: new Map(), splitWork, runCache: new Map(), batch, invokeMs, requestExtraMs };
}

/** Bytes of a request's input at these shapes, as the cost model counts them (4 bytes an element). */
export function requestInputBytes(inputShapes: Profile['inputShapes'] | undefined): number {
  let bytes = 0;
  for (const dims of Object.values(inputShapes ?? {})) bytes += 4 * dims.reduce((a, b) => a * b, 1);
  return bytes;
}

/**
 * Compute time of `refMs` of reference work at a configuration, as the planner compares it: below one core the
 * larger of the median call (quota-model.ts) and the rate the quota sustains (t1 / v, quota-model.ts
 * `sustainedLatency`) — as if the function alone made the request (the plan's own latency takes the
 * other functions' time into account, plan-partition.ts). Without the bound the planner chose 0.5 vCPU for
 * ResNet-18 at its default SLO (39 ms fits a 50 ms budget) and was served at 79 ms.
 */
export function computeMs(ctx: CostContext, refMs: number, vcpu: number): number {
  const full = fullSpeedMs(ctx, refMs, vcpu);
  if (vcpu >= 1) return full;
  return Math.max(quotaLatency(full, vcpu, ctx.curve.quota).p50, full / vcpu);
}

/** A call's median wall time when the function is not kept busy (quota-model.ts `quotaLatency`). */
export function aloneMs(ctx: CostContext, refMs: number, vcpu: number): number {
  const full = fullSpeedMs(ctx, refMs, vcpu);
  return vcpu < 1 ? quotaLatency(full, vcpu, ctx.curve.quota).p50 : full;
}

/** The same work at the configuration's speed inside a CFS period (below 1 vCPU: one core's speed). */
export function fullSpeedMs(ctx: CostContext, refMs: number, vcpu: number): number {
  let f = ctx.factorCache.get(vcpu);
  if (f === undefined) { f = ctx.curve.factor(vcpu); ctx.factorCache.set(vcpu, f); }
  return refMs * f;
}

/**
 * Billed time of the work: below one core a busy function's calls average t1 / v (its quota is its throughput),
 * so the bill is priced at that, not at the median call that runs at full speed inside its period. Pricing the
 * median made every fraction of a core look cheaper per unit of work and drew the planner to quotas that cannot
 * keep up with a stream of requests.
 */
export function billedComputeMs(ctx: CostContext, refMs: number, vcpu: number): number {
  const ms = aloneMs(ctx, refMs, vcpu);
  return vcpu < 1 ? Math.max(ms, fullSpeedMs(ctx, refMs, vcpu) / vcpu) : ms;
}

/** p99 − p50 of one call: a call that meets an exhausted quota waits out the period (0 at whole cores). */
export function tailMs(ctx: CostContext, refMs: number, vcpu: number): number {
  if (vcpu >= 1) return 0;
  const q = quotaLatency(fullSpeedMs(ctx, refMs, vcpu), vcpu, ctx.curve.quota);
  return q.p99 - q.p50;
}

/** Memory a function needs, MB, before rounding to the platform's step. */
export function memoryNeedMB(ctx: CostContext, weightsMB: number, activationMB: number, ioBytes: number): number {
  // The profiler's calibrated RSS model (profile/rss-model.ts): a session costs SESSION_OVERHEAD_MB over the bare
  // process and its arena holds about twice the live activations. Without those terms an activation-heavy slice
  // (VGG-16's second conv: 0.14 MB of weights, 25 MB in and out) was sized 128 MB and OOM-killed; it peaks at 157 MB.
  // Activations scale with the batch (the batch profile's memory model too, profile/batch.ts); weights do not.
  return (ctx.baselineMB + HOST_OVERHEAD_MB + SESSION_OVERHEAD_MB + ctx.loadFactor * weightsMB
    + ctx.batch * (ACTIVATION_FACTOR * activationMB + ioBytes / MB)) * (1 + HEADROOM);
}

/** All Pareto-useful options for units [a, b]; empty when no configuration can hold it. */
export function segmentOptions(ctx: CostContext, a: number, b: number, opts: ModelOptions): SegmentOption[] {
  return pareto(segmentCandidates(ctx, a, b, opts));
}

/** Every feasible way to run layers a..b as one function (or one parallel group), dominated ones included. */
export function segmentCandidates(ctx: CostContext, a: number, b: number, opts: ModelOptions): SegmentOption[] {
  const work = ctx.msPrefix[b + 1]! - ctx.msPrefix[a]!;
  const weights = ctx.paramPrefix[b + 1]! - ctx.paramPrefix[a]! + sharedAgainMB(ctx.shared, ctx.units[a]!.first, ctx.units[b]!.last);
  const facts = runFacts(ctx, a, b);
  const act = facts.peakActivationMB;
  const inBytes = a > 0 ? ctx.units[a - 1]!.cutBytesAfter : ctx.inputBytes;
  const outBytes = b < ctx.units.length - 1 ? ctx.units[b]!.cutBytesAfter : 0;
  const p = ctx.platform;
  const invokeMs = ctx.invokeMs;
  const out: SegmentOption[] = [];
  // k = 1, and each k-way split with the work of its sum of parts (billed) and of its slowest part (latency).
  const variants: Array<{ k: number; kind?: SplitKind; total: number; maxPart: number; inverse: boolean }> = [
    { k: 1, total: 1, maxPart: 1, inverse: false }];
  if (opts.horizontal) {
    for (const s of facts.splits) {
      for (const k of PARTS) {
        if (k > s.maxParts || k > p.limits.maxParallel) break;
        const w = ctx.splitWork(ctx.units[a]!.first, ctx.units[b]!.last, s, k);
        // A split whose slowest part does the whole run's work only adds cost.
        if (!w || w.maxPart >= 1 - 1e-9) continue;
        variants.push({ k, kind: s.kind, total: w.total, maxPart: w.maxPart, inverse: s.weightsFractionPerPart === 'inverse' });
      }
    }
  }
  for (const v of variants) {
    const banded = v.kind === 'spatial' || v.kind === 'sequence';
    const partWork = work * v.maxPart;
    const meanPartWork = work * v.total / v.k;
    const partWeights = v.inverse ? weights / v.k : weights;
    const partAct = banded ? act * v.maxPart : act;
    // Every part receives the run's inputs whole and slices inside (graph/split), so k copies move.
    const partIn = inBytes;
    const partOut = outBytes / v.k;
    if (partWeights + p.limits.runtimePackageMB > p.limits.packageMB) continue;
    if (opts.maxPartWeightsMB !== undefined && partWeights > opts.maxPartWeightsMB) continue;
    let hand: HandOff | undefined;
    if (a > 0) {
      hand = handOff(p, partIn, v.k, opts.transports);
      if (!hand) continue;
    } else if (v.k > 1) {
      // The model input fanned out to k parts: the extra payloads are on the path, the first hop is not.
      hand = handOff(p, partIn, v.k - 1, ['inline'], false);
      if (!hand) continue;
    }
    const need = memoryNeedMB(ctx, partWeights, partAct, partIn + partOut);
    let prevMs = Infinity;
    // A part of a split runs at one thread's speed however many vCPU it gets (PART_SPEED_VCPU).
    const partSpeed = (vcpu: number) => (v.k > 1 ? Math.min(vcpu, PART_SPEED_VCPU) : vcpu);
    for (const c of configsFor(p, need, opts.vcpuGrid, v.k > 1 ? Math.min(PART_SPEED_VCPU, ctx.curve.maxUsefulVcpu) : ctx.curve.maxUsefulVcpu)) {
      if (opts.minVcpu !== undefined && c.vcpu < opts.minVcpu) continue;
      const speed = partSpeed(c.vcpu);
      const ms = computeMs(ctx, partWork, speed);
      // Configurations come by rising CPU: one that is not faster than the last only costs more.
      if (ms >= prevMs - 1e-9) continue;
      prevMs = ms;
      const extraMs = invokeMs + (hand?.consumerBilledMs ?? 0);
      if (ms + extraMs > p.limits.timeoutMs) continue;
      // Parts are billed for their own work: k × the mean part (= Σ parts' work, recomputation included).
      const billed = billedComputeMs(ctx, meanPartWork, speed) + extraMs;
      const partUSD = invocationUSD(p, c, billed);
      const producerUSD = hand && hand.producerBilledMs > 0
        ? hand.producerBilledMs / 1000 * usdPerSecond(p, c) : 0;
      out.push({
        latencyMs: (hand?.latencyMs ?? 0) + ms + invokeMs,
        costUSD: v.k * partUSD + producerUSD + (hand?.usd ?? 0),
        parts: v.k, kind: v.kind, config: c, computeMs: ms, billedMs: billed, needMB: need, partUSD,
        fullSpeedMs: fullSpeedMs(ctx, partWork, speed), tailMs: tailMs(ctx, partWork, speed), aloneMs: aloneMs(ctx, partWork, speed),
        handIn: hand,
      });
    }
  }
  return out;
}

/**
 * Facts of units [a, b], each extended from [a, b − 1] and cached: the DP asks for O(n²) segments, and walking
 * each one from scratch made planning O(n³) (DenseNet-121 spent most of a second here).
 */
function runFacts(ctx: CostContext, a: number, b: number): RunFacts {
  const n = ctx.units.length;
  const cached = ctx.runCache.get(a * n + b);
  if (cached) return cached;
  let from = b;
  while (from > a && !ctx.runCache.has(a * n + from - 1)) from--;
  let facts = from > a ? ctx.runCache.get(a * n + from - 1)! : undefined;
  for (let i = from; i <= b; i++) {
    const u = ctx.units[i]!;
    facts = facts ? { splits: commonSplit(facts.splits, u.splits), peakActivationMB: Math.max(facts.peakActivationMB, u.peakActivationMB) }
      : { splits: u.splits, peakActivationMB: u.peakActivationMB };
    ctx.runCache.set(a * n + i, facts);
  }
  return facts!;
}

const NO_SPLITS: readonly SplitOption[] = [];

function commonSplit(acc: readonly SplitOption[], next: readonly SplitOption[]): readonly SplitOption[] {
  if (acc.length === 0) return NO_SPLITS;
  const out: SplitOption[] = [];
  for (const s of acc) {
    const m = next.find((x) => x.kind === s.kind);
    if (!m) continue;
    out.push({ ...s, maxParts: Math.min(s.maxParts, m.maxParts), overheadAt2: Math.max(s.overheadAt2, m.overheadAt2),
      weightsFractionPerPart: s.weightsFractionPerPart === 'inverse' && m.weightsFractionPerPart === 'inverse' ? 'inverse' : 'full' });
  }
  return out.length > 0 ? out : NO_SPLITS;
}

/** Keeps options not dominated in (latency, cost); deterministic order by latency. */
export function pareto<T extends { latencyMs: number; costUSD: number }>(xs: T[]): T[] {
  const sorted = [...xs].sort((a, b) => a.latencyMs - b.latencyMs || a.costUSD - b.costUSD);
  const out: T[] = [];
  for (const x of sorted) if (out.length === 0 || x.costUSD < out[out.length - 1]!.costUSD - 1e-15) out.push(x);
  return out;
}

export { TRANSPORTS, PARTS };
