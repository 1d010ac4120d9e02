/** Which split kinds make sense for a run: exact (always, by construction) and with little recomputation. */
import type { Graph } from '../ir.js';
import { axisFor, planPart, runInfo, type RunInfo } from './bands.js';
import { splitAxis } from './rewrite.js';
import { tensorByteSize } from './tensor-data.js';
import { constantTensor } from './bands.js';
import type { SplitKind, SplitOption } from './types.js';

/** Above this much recomputation at k = 2 a split is not offered (it would mostly duplicate work). */
const MAX_OVERHEAD = { channel: 0.25, spatial: 0.5, sequence: 0.5, heads: 0 } as const;
const MAX_PARTS = 16;

export function analyzeSplits(g: Graph, nodes: readonly string[]): SplitOption[] {
  let run: RunInfo;
  try { run = runInfo(g, nodes); } catch { return []; }
  const options: SplitOption[] = [];
  for (const kind of ['channel', 'spatial', 'sequence'] as SplitKind[]) {
    const opt = tryKind(run, kind);
    if (opt) options.push(opt);
  }
  return options;
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
    const weightsFractionAt2 = weightsFraction(run, plans[0]!.nodes.flatMap((n) => n.node.proto.input.map((i, j) => [i, n.out === 'whole' ? 'whole' : n.inputs[j] ?? 'whole'] as const)));
    return {
      kind, maxParts, axis: axisFor(axis, run.ctx.shape(run.outputs[0]!).length, run.outputs[0]!),
      weightsFractionPerPart: kind === 'channel' ? 'inverse' : 'full',
      overheadAt2: Math.max(0, overhead), weightsFractionAt2,
    };
  } catch {
    return null;
  }
}

/** Share of the run's weight bytes that part 0 holds at k = 2. */
function weightsFraction(run: RunInfo, uses: ReadonlyArray<readonly [string, unknown]>): number {
  let total = 0;
  let part = 0;
  const seen = new Set<string>();
  for (const n of run.nodes) {
    for (const i of n.proto.input) {
      const w = i && !seen.has(i) ? constantTensor(run.g, i) : undefined;
      if (!w) continue;
      seen.add(i);
      total += tensorByteSize(w);
    }
  }
  const seenPart = new Set<string>();
  for (const [i, need] of uses) {
    const w = i ? constantTensor(run.g, i) : undefined;
    if (!w || seenPart.has(`${i}|${JSON.stringify(need)}`)) continue;
    seenPart.add(`${i}|${JSON.stringify(need)}`);
    const bytes = tensorByteSize(w);
    if (need === 'whole' || typeof need !== 'object' || need === null) { part += bytes; continue; }
    const r = need as { axis: number; lo: number; hi: number };
    part += (bytes * (r.hi - r.lo)) / Number(w.dims[r.axis]);
  }
  return total > 0 ? Math.min(1, part / total) : 1;
}
