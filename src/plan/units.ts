/**
 * Units: the atoms the planner cuts between — the profile's layers, or, for very deep models, runs of layers
 * merged so that planning stays well under a second (≤ MAX_UNITS cut candidates; in each of MAX_UNITS windows
 * of equal time we keep the cut point that moves the fewest bytes).
 */
import { MoparError } from '../core/index.js';
import type { SplitOption } from '../graph/index.js';
import type { LayerProfile, Profile } from '../profile/index.js';

export const MAX_UNITS = 96;

export interface Unit {
  /** Inclusive range of profile layers. */
  first: number;
  last: number;
  /** Reference-time work (ms at the profile's own CPU share), scaled so the units sum to measuredMs. */
  ms: number;
  paramMB: number;
  peakActivationMB: number;
  cutBytesAfter: number;
  splits: SplitOption[];
}

/** Split options every layer of a run offers (same kind), combined conservatively. */
export function commonSplits(lists: readonly (readonly SplitOption[])[]): SplitOption[] {
  if (lists.length === 0) return [];
  const out: SplitOption[] = [];
  for (const s of lists[0]!) {
    let maxParts = s.maxParts;
    let overhead = s.overheadAt2;
    let inverse = s.weightsFractionPerPart === 'inverse';
    let ok = true;
    for (const l of lists.slice(1)) {
      const m = l.find((x) => x.kind === s.kind);
      if (!m) { ok = false; break; }
      maxParts = Math.min(maxParts, m.maxParts);
      overhead = Math.max(overhead, m.overheadAt2);
      inverse &&= m.weightsFractionPerPart === 'inverse';
    }
    if (ok && maxParts >= 2 && !out.some((o) => o.kind === s.kind)) {
      out.push({ kind: s.kind, maxParts, overheadAt2: overhead, weightsFractionPerPart: inverse ? 'inverse' : 'full' });
    }
  }
  return out;
}

export function checkProfile(profile: Profile): void {
  if (!profile || profile.kind !== 'mopar.profile') throw new MoparError('not a mopar profile (kind must be \'mopar.profile\')');
  if (!Array.isArray(profile.layers) || profile.layers.length === 0) {
    throw new MoparError(`profile of '${profile.model}' has no layers to plan with`);
  }
  for (const l of profile.layers) {
    if (!Array.isArray(l.nodes) || l.nodes.length === 0 || !Array.isArray(l.cutTensors)) {
      throw new MoparError(`profile of '${profile.model}': layer ${l.index} lacks its nodes or cut tensors`);
    }
    if (![l.ms, l.paramMB, l.peakActivationMB, l.cutBytesAfter].every((x) => Number.isFinite(x) && x >= 0)) {
      throw new MoparError(`profile of '${profile.model}': layer ${l.index} has a missing or negative measurement`);
    }
  }
}

/** Layer times scaled so that they add up to the measured end-to-end p50 (attribution can drift from it). */
export function normalisedLayerMs(profile: Profile): number[] {
  const sum = profile.layers.reduce((s, l) => s + l.ms, 0);
  const target = profile.measuredMs > 0 ? profile.measuredMs : sum;
  if (sum <= 0) return profile.layers.map(() => target / profile.layers.length);
  return profile.layers.map((l) => l.ms * target / sum);
}

export function unitsOf(layers: readonly LayerProfile[], ms: readonly number[], boundaries?: readonly number[]): Unit[] {
  // boundaries: indexes of the last layer of each unit (ascending, ends with layers.length - 1).
  const ends = boundaries ?? chooseBoundaries(layers, ms);
  const units: Unit[] = [];
  let first = 0;
  for (const last of ends) {
    const ls = layers.slice(first, last + 1);
    units.push({
      first, last,
      ms: ms.slice(first, last + 1).reduce((a, b) => a + b, 0),
      paramMB: ls.reduce((a, l) => a + l.paramMB, 0),
      peakActivationMB: Math.max(...ls.map((l) => l.peakActivationMB)),
      cutBytesAfter: layers[last]!.cutBytesAfter,
      splits: commonSplits(ls.map((l) => l.splits ?? [])),
    });
    first = last + 1;
  }
  return units;
}

function chooseBoundaries(layers: readonly LayerProfile[], ms: readonly number[]): number[] {
  const n = layers.length;
  if (n <= MAX_UNITS) return layers.map((_, i) => i);
  const total = ms.reduce((a, b) => a + b, 0);
  const weight = (i: number) => (total > 0 ? ms[i]! : 1);
  const sum = total > 0 ? total : n;
  const ends: number[] = [];
  let acc = 0;
  let window = 1;
  let best = -1;
  for (let i = 0; i < n - 1; i++) {
    acc += weight(i);
    if (best < 0 || layers[i]!.cutBytesAfter < layers[best]!.cutBytesAfter) best = i;
    if (acc >= sum * window / MAX_UNITS) {
      ends.push(best);
      best = -1;
      while (acc >= sum * window / MAX_UNITS) window++;
    }
  }
  ends.push(n - 1);
  return ends;
}

/**
 * MB of shared weights (Profile.sharedWeights) that layers [first, last] hold again: read by one of them, first
 * read by a layer outside. A cut between a tied weight's readers stores, fetches and loads it twice.
 */
export function sharedAgainMB(shared: Profile['sharedWeights'], first: number, last: number): number {
  let mb = 0;
  for (const w of shared ?? []) {
    const owner = w.layers[0]!;
    if (owner >= first && owner <= last) continue;
    if (w.layers.some((l) => l >= first && l <= last)) mb += w.mb;
  }
  return mb;
}
