/**
 * Turns the DP's chosen segments into the Plan record: named functions (sub-slices of a parallel group share
 * its `group`), the tensors on each cut with their transport, totals and resource efficiency.
 */
import type { Profile } from '../profile/index.js';
import type { PlanEdge, PlanFunction } from './types.js';
import type { CostContext, SegmentOption } from './cost-model.js';
import type { Segment } from './dp.js';
import { sharedAgainMB, type Unit } from './units.js';
import { billedMs } from './billing.js';

export interface Assembled { functions: PlanFunction[]; edges: PlanEdge[]; efficiency: number }

const pad = (i: number) => String(i).padStart(2, '0');

export function assemble(profile: Profile, ctx: CostContext, units: Unit[], layerMs: number[], segments: Segment[]): Assembled {
  const functions: PlanFunction[] = [];
  const fnOfLayer: string[][] = []; // layer index → names of the functions computing it
  const groupOfLayer: string[] = [];
  let used = 0;
  let allocated = 0;
  segments.forEach((s, gi) => {
    const first = units[s.a]!.first;
    const last = units[s.b]!.last;
    const layers = profile.layers.slice(first, last + 1);
    const nodes = layers.flatMap((l) => l.nodes);
    const group = `g${pad(gi)}`;
    const o = s.opt;
    const names: string[] = [];
    const refMs = layerMs.slice(first, last + 1);
    const again = sharedAgainMB(ctx.shared, first, last);
    for (let part = 0; part < o.parts; part++) {
      const name = o.parts === 1 ? `s${pad(gi)}` : `s${pad(gi)}-p${part}`;
      names.push(name);
      functions.push({
        name, memoryMB: o.config.memoryMB, vcpu: o.config.vcpu, nodes, group, layers: [first, last],
        ...(o.parts > 1 ? { split: { kind: o.kind!, index: part, parts: o.parts } } : {}),
        predicted: {
          ms: round(o.aloneMs, 3), costPerMillionUSD: round(o.partUSD * 1e6, 6), peakMB: round(o.needMB, 1),
          billedMs: round(o.billedMs, 3), handInMs: round(o.handIn?.latencyMs ?? 0, 3),
        },
        similarity: similarity(layers, refMs, again),
      });
    }
    for (let l = first; l <= last; l++) { fnOfLayer[l] = names; groupOfLayer[l] = group; }
    const eff = efficiencyOf(ctx, o, layers.map((l) => l.peakActivationMB), refMs,
      layers.reduce((a, l) => a + l.paramMB, 0) + again);
    used += eff.used;
    allocated += eff.allocated;
  });
  return { functions, edges: edgesOf(profile, segments, units, fnOfLayer, groupOfLayer), efficiency: allocated > 0 ? used / allocated : 0 };
}

/** Resource vector of a slice: what made its layers alike (or not). */
function similarity(layers: Profile['layers'], refMs: number[], sharedAgain: number) {
  const opMs = new Map<string, number>();
  layers.forEach((l, i) => {
    for (const [op, share] of Object.entries(l.opShare ?? {})) opMs.set(op, (opMs.get(op) ?? 0) + share * refMs[i]!);
    if (!l.opShare || Object.keys(l.opShare).length === 0) opMs.set(l.dominantOp, (opMs.get(l.dominantOp) ?? 0) + refMs[i]!);
  });
  const dominantOp = [...opMs.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? layers[0]!.dominantOp;
  return {
    dominantOp,
    msPerLayer: round(refMs.reduce((a, b) => a + b, 0) / layers.length, 3),
    paramMB: round(layers.reduce((a, l) => a + l.paramMB, 0) + sharedAgain, 3),
    peakActivationMB: round(Math.max(...layers.map((l) => l.peakActivationMB)), 3),
  };
}

/** Memory actually held over time against memory billed over time (MOPAR's resource efficiency). */
function efficiencyOf(ctx: CostContext, o: SegmentOption, acts: number[], refMs: number[], weightsMB: number) {
  const k = o.parts;
  const banded = o.kind === 'spatial' || o.kind === 'sequence';
  const factor = ctx.curve.factor(o.config.vcpu);
  const weights = ctx.loadFactor * weightsMB / (o.kind === 'channel' || o.kind === 'heads' ? k : 1);
  let used = 0;
  acts.forEach((a, i) => {
    used += (ctx.baselineMB + weights + (banded ? a / k : a)) * refMs[i]! * factor / k;
  });
  const billed = billedMs(o.billedMs, ctx.platform.price.granularityMs);
  return { used: used * k, allocated: o.config.memoryMB * billed * k };
}

function edgesOf(profile: Profile, segments: Segment[], units: Unit[], fnOfLayer: string[][], groupOfLayer: string[]): PlanEdge[] {
  const layers = profile.layers;
  const n = layers.length;
  const bytes = tensorBytes(profile);
  const inputs = new Set(Object.keys(profile.inputShapes ?? {}));
  // Where each tensor first and last crosses a layer cut.
  const span = new Map<string, { first: number; last: number }>();
  layers.forEach((l, i) => {
    for (const t of l.cutTensors) {
      const s = span.get(t);
      if (s) s.last = i; else span.set(t, { first: i, last: i });
    }
  });
  const planCuts = segments.slice(0, -1).map((s) => units[s.b]!.last);
  const transportAfterCut = new Map(segments.slice(1).map((s, i) => [planCuts[i]!, s.opt.handIn?.transport ?? 'inline']));
  const edges: PlanEdge[] = [];
  for (const [tensor, s] of span) {
    const crossed = planCuts.filter((c) => c >= s.first && c <= s.last);
    if (crossed.length === 0) continue;
    const fromFns = fnOfLayer[s.first]!;
    const from = inputs.has(tensor) ? '$input' : fromFns.length === 1 ? fromFns[0]! : groupOfLayer[s.first]!;
    const to: string[] = [];
    for (let l = crossed[0]! + 1; l <= Math.min(s.last + 1, n - 1); l++) {
      for (const f of fnOfLayer[l]!) if (!to.includes(f)) to.push(f);
    }
    if (s.last === n - 1) to.push('$output');
    edges.push({ tensor, from, to, bytes: bytes.get(tensor) ?? 0, transport: transportAfterCut.get(crossed[0]!)! });
  }
  return edges;
}

/**
 * Bytes per cut tensor, recovered from the per-cut totals: a cut whose tensors are all known but one gives that
 * one; the rest share what is left of their cut evenly (an estimate).
 */
export function tensorBytes(profile: Profile): Map<string, number> {
  const known = new Map<string, number>();
  const cuts = profile.layers.filter((l) => l.cutTensors.length > 0).map((l) => ({ ts: l.cutTensors, bytes: l.cutBytesAfter }));
  for (let changed = true; changed;) {
    changed = false;
    for (const c of cuts) {
      const unknown = c.ts.filter((t) => !known.has(t));
      if (unknown.length !== 1) continue;
      const rest = c.ts.reduce((s, t) => s + (known.get(t) ?? 0), 0);
      known.set(unknown[0]!, Math.max(0, c.bytes - rest));
      changed = true;
    }
  }
  const guess = new Map<string, number>();
  for (const c of cuts) {
    const unknown = c.ts.filter((t) => !known.has(t));
    if (unknown.length === 0) continue;
    const each = Math.max(0, c.bytes - c.ts.reduce((s, t) => s + (known.get(t) ?? 0), 0)) / unknown.length;
    for (const t of unknown) guess.set(t, Math.min(guess.get(t) ?? Infinity, each));
  }
  for (const [t, b] of guess) known.set(t, Math.round(b));
  return known;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
