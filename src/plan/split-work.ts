/**
 * Work of a horizontal split of a run of profile layers into k parts, relative to the unsplit run: `total`
 * (Σ parts, what is billed) and `maxPart` (the slowest part, the critical path).
 *
 * Halo overlap compounds across layers: splitting ResNet-50's layers one by one costs < 1 % extra each, the
 * same layers split as one 97-node group recompute 0.70 (k = 2) to 4.10 (k = 8) of the group's work. So:
 * - with the model's graph (concrete shapes) we measure the whole run with graph/split's band planner (exact:
 *   it is what `mopar build` will emit), cached per run, kind and k;
 * - without it, a run of one layer uses the profile's per-layer measurements, and a run of several layers is
 *   charged the worst case that needs no graph: every layer but the last computed whole by every part. Summing
 *   per-layer overheads is NOT conservative (a lone Conv layer has no overhead; its halo is paid by the layer
 *   before it when both are in one run), so plans made from a profile alone only split single layers in practice.
 */
import { splitWork, type Graph, type SplitOption } from '../graph/index.js';
import { BandWalker, type PartWork } from './band-walk.js';
import type { LayerProfile } from '../profile/index.js';

export type { PartWork };
/** Parallel degrees tried for a horizontal split (5 and 7 add little over their neighbours). */
export const PARTS = [2, 3, 4, 6, 8];
/** Work of splitting profile layers [first, last] by `split` into k parts; undefined when it cannot be split. */
export type SplitWorkFn = (first: number, last: number, split: SplitOption, k: number) => PartWork | undefined;

/** Overhead (Σ parts / whole − 1) of one layer at k parts from its own measurements (k = 2, 4, 8), interpolated. */
export function layerOverhead(s: SplitOption, k: number): number {
  const pts: Array<[number, number]> = [[1, 0], [2, s.overheadAt2]];
  for (const [kk, o] of Object.entries(s.overheadAt ?? {})) if (Number(kk) > 2) pts.push([Number(kk), o]);
  pts.sort((a, b) => a[0] - b[0]);
  const exact = pts.find((p) => p[0] === k);
  if (exact) return exact[1];
  const hi = pts.findIndex((p) => p[0] > k);
  if (hi < 0) {
    // Past the last measurement: grow in proportion to the k − 1 extra band edges.
    const [kl, ol] = pts[pts.length - 1]!;
    return ol * (k - 1) / (kl - 1);
  }
  const [k0, o0] = pts[hi - 1]!;
  const [k1, o1] = pts[hi]!;
  return o0 + (o1 - o0) * (k - k0) / (k1 - k0);
}

/**
 * Slowest part of a single layer with overhead o at k parts, conservatively: its band (rows split as evenly as
 * integers allow; maxParts < 16 is the row count itself) plus all of the recomputation, which can fall on one
 * part (halos are not symmetric at the edges).
 */
function layerMaxPart(s: SplitOption, k: number, o: number): number {
  const band = s.maxParts < 16 ? Math.ceil(s.maxParts / k) / s.maxParts : 1 / k;
  return Math.min(1, band + o);
}

/** Measured split work per graph and layering, shared by every plan made with it (bench plans one model often). */
const measuredCache = new WeakMap<Graph, Map<string, { walker: BandWalker; runs: Map<string, Array<Array<PartWork | undefined>>> }>>();

export function splitWorkModel(layers: readonly LayerProfile[], layerMs: readonly number[], graph?: Graph): SplitWorkFn {
  let state: { walker: BandWalker; runs: Map<string, Array<Array<PartWork | undefined>>> } | undefined;
  if (graph) {
    let byLayering = measuredCache.get(graph);
    if (!byLayering) measuredCache.set(graph, byLayering = new Map());
    const layering = layers.map((l) => `${l.nodes[0]}+${l.nodes.length}`).join(',');
    state = byLayering.get(layering);
    if (!state) byLayering.set(layering, state = { walker: new BandWalker(graph, layers), runs: new Map() });
  }
  const measured = (first: number, last: number, s: SplitOption, k: number): PartWork | undefined => {
    const { walker, runs } = state!;
    if (!walker.contiguous) {
      // Layers interleave in the graph's order: measure this run on its own (slower, same numbers).
      const nodes = layers.slice(first, last + 1).flatMap((l) => l.nodes);
      const w = splitWork(graph!, nodes, s.kind, [k])[0];
      return w && { total: w.total, maxPart: w.maxPart };
    }
    // Every run ending at `last`, for every k the planner may try, in one backward walk per k and axis.
    // Not keyed by maxParts (it varies with the run's first layer): a k the run's rows cannot take fails the walk.
    const key = `${last}:${s.kind}`;
    let byK = runs.get(key);
    if (!byK) {
      byK = [];
      const axes = walker.axes(last, s.kind);
      for (const kk of PARTS) {
        const table: Array<PartWork | undefined> = [];
        for (const axis of new Set(axes.filter((x): x is number => x !== undefined))) {
          walker.walk(last, axis, kk, (a) => axes[a] === axis).forEach((w, a) => { if (w) table[a] = w; });
        }
        byK[kk] = table;
      }
      runs.set(key, byK);
    }
    return k <= s.maxParts ? byK[k]?.[first] : undefined;
  };
  const ownSplit = (i: number, kind: SplitOption['kind']) => layers[i]!.splits?.find((x) => x.kind === kind);
  const worstCase = (first: number, last: number, s: SplitOption, k: number): PartWork | undefined => {
    const own = ownSplit(last, s.kind) ?? s;
    const o = layerOverhead(own, k);
    const whole = layerMs.slice(first, last + 1).reduce((a, b) => a + b, 0);
    if (!(whole > 0)) return { total: 1 + o, maxPart: layerMaxPart(own, k, o) };
    const before = (whole - layerMs[last]!) / whole;
    const lastShare = layerMs[last]! / whole;
    return { total: k * before + lastShare * (1 + o), maxPart: before + lastShare * layerMaxPart(own, k, o) };
  };
  const byWork: SplitWorkFn = (first, last, s, k) => {
    if (graph) return measured(first, last, s, k);
    if (first === last) {
      const o = layerOverhead(ownSplit(first, s.kind) ?? s, k);
      return { total: 1 + o, maxPart: layerMaxPart(s, k, o) };
    }
    return worstCase(first, last, s, k);
  };
  // The band model counts work; where the profile timed a layer's parts (profile/split-parts.ts), the run's parts
  // take its layers' measured time per unit of work: each layer's measured part share ÷ its modelled one, weighted
  // by the layers' time. Layers the profile did not time count at 1. Per (kind, k), prefix sums over the layers:
  // the planner asks for every run, and walking each one made this O(n) per question.
  const sums = new Map<string, { weighted: Float64Array; weight: Float64Array; timed: Int32Array }>();
  const prefixes = (kind: SplitOption['kind'], k: number) => {
    const key = `${kind}:${k}`;
    let p = sums.get(key);
    if (p) return p;
    const n = layers.length;
    p = { weighted: new Float64Array(n + 1), weight: new Float64Array(n + 1), timed: new Int32Array(n + 1) };
    for (let l = 0; l < n; l++) {
      const own = ownSplit(l, kind);
      const share = own?.partShareAt && measuredShare(own.partShareAt, k);
      const modelled = share !== undefined && own ? byWork(l, l, own, k)?.maxPart : undefined;
      const e = share !== undefined && modelled ? share / modelled : 1;
      p.weighted[l + 1] = p.weighted[l]! + layerMs[l]! * e;
      p.weight[l + 1] = p.weight[l]! + layerMs[l]!;
      p.timed[l + 1] = p.timed[l]! + (e !== 1 ? 1 : 0);
    }
    sums.set(key, p);
    return p;
  };
  const efficiency = (first: number, last: number, kind: SplitOption['kind'], k: number): number => {
    const p = prefixes(kind, k);
    const weight = p.weight[last + 1]! - p.weight[first]!;
    return p.timed[last + 1]! > p.timed[first]! && weight > 0 ? (p.weighted[last + 1]! - p.weighted[first]!) / weight : 1;
  };
  return (first, last, s, k) => {
    const w = byWork(first, last, s, k);
    if (!w) return w;
    const e = efficiency(first, last, s.kind, k);
    return e === 1 ? w : { total: w.total * e, maxPart: w.maxPart * e };
  };
}

/**
 * A measured part share at k parts (k = 2 and 4 are timed): as measured, linear between measured counts, and past
 * the last one at the last one's share × (its k ÷ k) — the same efficiency, never a better one than measured.
 */
export function measuredShare(at: Readonly<Record<number, number>>, k: number): number | undefined {
  const pts = Object.entries(at).map(([kk, v]) => [Number(kk), v] as const).filter(([kk, v]) => kk >= 2 && v > 0).sort((a, b) => a[0] - b[0]);
  if (pts.length === 0) return undefined;
  const exact = pts.find(([kk]) => kk === k);
  if (exact) return exact[1];
  const hi = pts.findIndex(([kk]) => kk > k);
  if (hi === 0) return pts[0]![1] * pts[0]![0] / k;
  if (hi < 0) { const [kl, vl] = pts[pts.length - 1]!; return vl * kl / k; }
  const [k0, v0] = pts[hi - 1]!;
  const [k1, v1] = pts[hi]!;
  return v0 + (v1 - v0) * (k - k0) / (k1 - k0);
}
