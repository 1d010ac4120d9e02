/**
 * The planning core: a dynamic program over cut points × a discretised latency budget. State "units [0, i) are
 * covered, end-to-end latency in bucket t" holds the cheapest way found and its real (unrounded) latency, so a
 * returned plan always meets the SLO exactly; a segment [i, j] with one of its options extends a state.
 * The result is optimal for the model in cost-model.ts up to the bucket resolution (two ways to reach a cut
 * point whose latencies fall in one bucket of SLO/B keep only the cheaper); B = 2048 for normal models, and
 * past 256 non-dominated states per cut point we keep the cheapest per SLO/256 (deep models only). Exact
 * branch-and-bound pruning (fastest and cheapest completion of each suffix, best plan so far) keeps it fast.
 * Among plans within COST_TIE (0.5 %) of the minimum cost the one with the lowest latency is returned: users care
 * about latency at an equal bill, and differences that small are below the cost model's accuracy.
 */
import type { SegmentOption } from './cost-model.js';

/** Plans print latencies to 0.001 ms; an SLO copied from a printed plan must still admit that plan. */
export const SLO_TOLERANCE_MS = 1e-3;
/** Plans within this fraction of the minimum cost count as equally cheap: the faster of them is returned. */
export const COST_TIE = 0.005;

export interface DpProblem {
  n: number;
  options(a: number, b: number): readonly SegmentOption[];
  /** Exactly these cut points (a cut after unit i); undefined = free choice. */
  fixedCuts?: ReadonlySet<number>;
}

export interface Segment { a: number; b: number; opt: SegmentOption }
export interface DpResult { segments: Segment[]; latencyMs: number; costUSD: number }

/** Minimum cost with end-to-end latency ≤ sloMs; undefined when nothing fits. */
export function minCostUnderSlo(problem: DpProblem, sloMs: number, opts: { buckets?: number; cap?: number } = {}): DpResult | undefined {
  const { n } = problem;
  const B = opts.buckets ?? Math.max(256, Math.min(2048, Math.floor(1e6 / (n + 1))));
  const cap = opts.cap ?? 256;
  const width = sloMs / B;
  // Bounds for branch and bound (exact): the fastest and the cheapest way to cover each suffix, and the cost
  // of a known feasible plan. A label that cannot beat them is dropped.
  const bounds = suffixBounds(problem);
  if (bounds.lat[0]! > sloMs + SLO_TOLERANCE_MS) return undefined;
  const fast = minLatency(problem);
  let upper = fast && fast.latencyMs <= sloMs + SLO_TOLERANCE_MS ? fast.costUSD : Infinity;
  const at: Array<Buckets | undefined> = Array(n + 1).fill(undefined);
  at[0] = newBuckets(B);
  at[0].cost[0] = 0;
  at[0].lat[0] = 0;
  for (let i = 0; i < n; i++) {
    const here = at[i];
    if (!here) continue;
    const active = activeLabels(here, cap, B);
    if (active.length === 0) continue;
    for (let j = i; j < n; j++) {
      const ends = j === n - 1 || !problem.fixedCuts || problem.fixedCuts.has(j);
      if (!ends) continue;
      const os = problem.options(i, j);
      const restLat = bounds.lat[j + 1]!;
      const restCost = bounds.cost[j + 1]!;
      let dst = at[j + 1];
      for (const k of active) {
        const l0 = here.lat[k]!;
        const c0 = here.cost[k]!;
        for (let oi = 0; oi < os.length; oi++) {
          const o = os[oi]!;
          const lat = l0 + o.latencyMs;
          if (lat + restLat > sloMs + SLO_TOLERANCE_MS) continue;
          const cost = c0 + o.costUSD;
          // Keep labels that may end within the cost tie of the best plan (they may win on latency).
          if (cost + restCost > upper * (1 + COST_TIE) + 1e-15) continue;
          const bk = Math.min(B - 1, Math.floor(lat / width));
          dst ??= at[j + 1] = newBuckets(B);
          const cur = dst.cost[bk]!;
          if (cost < cur - 1e-15 || (cost <= cur + 1e-15 && lat < dst.lat[bk]!)) {
            dst.cost[bk] = cost;
            dst.lat[bk] = lat;
            dst.from[bk] = i;
            dst.fromBucket[bk] = k;
            dst.option[bk] = oi;
            if (j === n - 1 && cost < upper) upper = cost;
          }
        }
      }
      if (problem.fixedCuts) break;
    }
  }
  const end = at[n];
  if (!end) return undefined;
  let minCost = Infinity;
  for (let k = 0; k < B; k++) minCost = Math.min(minCost, end.cost[k]!);
  if (minCost === Infinity) return undefined;
  // Among plans within COST_TIE of the cheapest, the lowest latency (users care about latency at equal bill);
  // then the cheaper; deterministic.
  let best = -1;
  for (let k = 0; k < B; k++) {
    const c = end.cost[k]!;
    if (!(c <= minCost * (1 + COST_TIE) + 1e-15)) continue;
    if (best < 0 || end.lat[k]! < end.lat[best]! - 1e-9 || (Math.abs(end.lat[k]! - end.lat[best]!) <= 1e-9 && c < end.cost[best]!)) best = k;
  }
  const segments: Segment[] = [];
  for (let p = n, k = best; p > 0;) {
    const b = at[p]!;
    const from = b.from[k]!;
    segments.unshift({ a: from, b: p - 1, opt: problem.options(from, p - 1)[b.option[k]!]! });
    k = b.fromBucket[k]!;
    p = from;
  }
  return { segments, latencyMs: end.lat[best]!, costUSD: end.cost[best]! };
}

/** Per latency bucket: the cheapest way found to reach one cut point, with its real (unrounded) latency. */
interface Buckets { cost: Float64Array; lat: Float64Array; from: Int32Array; fromBucket: Int32Array; option: Int32Array }

function newBuckets(B: number): Buckets {
  return {
    cost: new Float64Array(B).fill(Infinity), lat: new Float64Array(B), from: new Int32Array(B),
    fromBucket: new Int32Array(B), option: new Int32Array(B),
  };
}

/** Non-dominated buckets in latency order; thinned to the cheapest per coarse bucket past `cap`. */
function activeLabels(b: Buckets, cap: number, B: number): number[] {
  let out: number[] = [];
  let minCost = Infinity;
  for (let k = 0; k < B; k++) {
    const c = b.cost[k]!;
    if (c < minCost - 1e-15) { out.push(k); minCost = c; }
  }
  if (out.length > cap) {
    const per = Math.ceil(B / cap);
    const kept: number[] = [];
    for (const k of out) {
      const last = kept[kept.length - 1];
      // Within one coarse bucket, later labels are cheaper (Pareto order): keep the last.
      if (last !== undefined && Math.floor(last / per) === Math.floor(k / per)) kept[kept.length - 1] = k;
      else kept.push(k);
    }
    out = kept;
  }
  return out;
}

/** For each suffix [j, n): the least latency and the least cost any plan of it can have (separately). */
export function suffixBounds(problem: DpProblem): { lat: Float64Array; cost: Float64Array } {
  const { n } = problem;
  const lat = new Float64Array(n + 1).fill(Infinity);
  const cost = new Float64Array(n + 1).fill(Infinity);
  lat[n] = 0;
  cost[n] = 0;
  for (let j = n - 1; j >= 0; j--) {
    for (let b = j; b < n; b++) {
      if (!(b === n - 1 || !problem.fixedCuts || problem.fixedCuts.has(b))) continue;
      const opts = problem.options(j, b);
      if (opts.length > 0 && lat[b + 1]! < Infinity) {
        lat[j] = Math.min(lat[j]!, opts[0]!.latencyMs + lat[b + 1]!);
        let c = Infinity;
        for (const o of opts) c = Math.min(c, o.costUSD);
        cost[j] = Math.min(cost[j]!, c + cost[b + 1]!);
      }
      if (problem.fixedCuts) break;
    }
  }
  return { lat, cost };
}

/** Minimum end-to-end latency regardless of cost (ties: cheaper). */
export function minLatency(problem: DpProblem): DpResult | undefined {
  const { n } = problem;
  const best: Array<{ lat: number; cost: number; from: number; opt: SegmentOption | null } | undefined> = Array(n + 1).fill(undefined);
  best[0] = { lat: 0, cost: 0, from: -1, opt: null };
  for (let i = 0; i < n; i++) {
    const here = best[i];
    if (!here) continue;
    for (let j = i; j < n; j++) {
      if (!(j === n - 1 || !problem.fixedCuts || problem.fixedCuts.has(j))) continue;
      for (const o of problem.options(i, j)) {
        const lat = here.lat + o.latencyMs;
        const cost = here.cost + o.costUSD;
        const cur = best[j + 1];
        if (!cur || lat < cur.lat - 1e-9 || (Math.abs(lat - cur.lat) <= 1e-9 && cost < cur.cost)) best[j + 1] = { lat, cost, from: i, opt: o };
      }
      if (problem.fixedCuts) break;
    }
  }
  if (!best[n]) return undefined;
  const segments: Segment[] = [];
  for (let j = n; j > 0;) {
    const b = best[j]!;
    segments.unshift({ a: b.from, b: j - 1, opt: b.opt! });
    j = b.from;
  }
  return { segments, latencyMs: best[n]!.lat, costUSD: best[n]!.cost };
}

