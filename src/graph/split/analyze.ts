/** Which split kinds make sense for a run: exact (always, by construction) and with little recomputation. */
import type { Graph } from '../ir.js';
import { varyingDims } from '../input-shapes.js';
import { axisFor, constantTensor, planPart, runInfo, type PartPlan, type RunInfo } from './bands.js';
import { splitAxis } from './rewrite.js';
import { tensorByteSize } from './tensor-data.js';
import type { SplitKind, SplitOption } from './types.js';

/** Above this much recomputation at k = 2 a split is not offered (it would mostly duplicate work). */
const MAX_OVERHEAD = { channel: 0.25, spatial: 0.5, sequence: 0.5, heads: 0.25 } as const;
const MAX_PARTS = 16;

export function analyzeSplits(g: Graph, nodes: readonly string[]): SplitOption[] {
  // A split part slices bands and reshapes at the concrete shapes it was cut at; a ranged dim (--input
  // NAME=LO..HI) varies per request, so a model with one is not split horizontally.
  if (varyingDims(g).length) return [];
  let run: RunInfo;
  try { run = runInfo(g, nodes); } catch { return []; }
  const options: SplitOption[] = [];
  // In an attention run a last-axis split is a split by heads: offer it under that name.
  const attention = run.nodes.some((n) => n.op === 'Softmax');
  for (const kind of [attention ? 'heads' : 'channel', 'spatial', 'sequence'] as SplitKind[]) {
    const opt = tryKind(run, kind);
    if (opt) options.push(opt);
  }
  return options;
}

/** Recomputation overhead of splitting `nodes` k ways (Σ parts' work / run's work − 1), e.g. for merged layers. */
export function splitOverhead(g: Graph, nodes: readonly string[], kind: SplitKind, parts: number): number {
  const run = runInfo(g, nodes);
  const axis = splitAxis(run, kind);
  let w = 0;
  for (let i = 0; i < parts; i++) w += planPart(run, axis, i, parts).work;
  return roundUp(w - 1);
}

/**
 * Work of splitting `nodes` k ways for each k of `parts`, relative to the unsplit run: `total` = Σ parts' work
 * (billed), `maxPart` = the slowest part's (critical path); undefined where that k cannot split the run.
 */
export function splitWork(g: Graph, nodes: readonly string[], kind: SplitKind, parts: readonly number[]):
  Array<{ parts: number; total: number; maxPart: number } | undefined> {
  let run: RunInfo;
  let axis: number;
  try { run = runInfo(g, nodes); axis = splitAxis(run, kind); } catch { return parts.map(() => undefined); }
  return parts.map((k) => {
    try {
      let total = 0;
      let maxPart = 0;
      for (let i = 0; i < k; i++) { const w = planPart(run, axis, i, k).work; total += w; maxPart = Math.max(maxPart, w); }
      return { parts: k, total, maxPart };
    } catch {
      return undefined;
    }
  });
}

function tryKind(run: RunInfo, kind: SplitKind): SplitOption | null {
  try {
    const axis = splitAxis(run, kind);
    let maxParts = MAX_PARTS;
    for (const o of run.outputs) {
      const s = run.ctx.shape(o);
      if (kind === 'spatial' && s.length !== 4) return null;
      if (kind === 'sequence' && s.length !== 3) return null;
      maxParts = Math.min(maxParts, s[axisFor(axis, s.length, o)]!);
    }
    if (maxParts < 2) return null;
    const plans = [0, 1].map((i) => planPart(run, axis, i, 2));
    const overhead = plans[0]!.work + plans[1]!.work - 1;
    if (overhead > MAX_OVERHEAD[kind]) return null;
    // A split that computes no node by band is pure duplication.
    if (plans.every((p) => p.nodes.every((n) => n.out === 'whole'))) return null;
    const weightsFractionAt2 = weightsFraction(run, plans[0]!);
    const overheadAt: Record<number, number> = { 2: roundUp(overhead) };
    for (const k of [4, 8]) {
      if (k > maxParts) break;
      let w = 0;
      for (let i = 0; i < k; i++) w += planPart(run, axis, i, k).work;
      overheadAt[k] = roundUp(w - 1);
    }
    return {
      kind, maxParts, axis: axisFor(axis, run.ctx.shape(run.outputs[0]!).length, run.outputs[0]!),
      weightsFractionPerPart: kind === 'channel' || kind === 'heads' ? 'inverse' : 'full',
      overheadAt2: roundUp(overhead), weightsFractionAt2: round(weightsFractionAt2), overheadAt,
    };
  } catch {
    return null;
  }
}

/** Share of the run's weight bytes that one part holds (weights read by a band are counted by their band). */
function weightsFraction(run: RunInfo, part: PartPlan): number {
  let total = 0;
  const seen = new Set<string>();
  for (const n of run.nodes) {
    for (const i of n.proto.input) {
      const w = i && !seen.has(i) ? constantTensor(run.g, i) : undefined;
      if (w) { seen.add(i); total += tensorByteSize(w); }
    }
  }
  let held = 0;
  const counted = new Set<string>();
  for (const np of part.nodes) {
    np.node.proto.input.forEach((i, j) => {
      const w = i ? constantTensor(run.g, i) : undefined;
      const need = np.out === 'whole' ? 'whole' : np.inputs[j] ?? 'whole';
      const key = `${i}|${JSON.stringify(need)}`;
      if (!w || counted.has(key)) return;
      counted.add(key);
      const bytes = tensorByteSize(w);
      held += need === 'whole' ? bytes : (bytes * (need.hi - need.lo)) / Number(w.dims[need.axis]);
    });
  }
  return total > 0 ? Math.min(1, held / total) : 1;
}

const round = (x: number) => Math.max(0, Math.round(x * 1e4) / 1e4);
/** Overheads feed the planner's no-graph bound (split-work.ts), so they round up: never below the real work. */
const roundUp = (x: number) => Math.max(0, Math.ceil(x * 1e4 - 1e-6) / 1e4);
