/** Every tiny zoo model: vertical cuts at several points, plus the horizontal splits analyzeSplits offers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildPartition, verifyPartition } from '../../src/partition/index.js';
import { openModel, type Graph } from '../../src/graph/index.js';
import { analyzeSplits, type SplitKind } from '../../src/graph/split/index.js';
import { buildZooModel, ZOO_NAMES } from '../../src/zoo/index.js';
import { computeNodes, evenCuts, makePlan, tmpDir, writeModel, type Slice } from './plans.js';

const HEAVY = new Set(['Conv', 'Gemm', 'MatMul']);

/** Up to one run per split kind (non-overlapping), each a short run starting at a heavy op. */
export function pickSplits(g: Graph, nodes: string[]): Array<{ start: number; len: number; kind: SplitKind; parts: number }> {
  const picks: Array<{ start: number; len: number; kind: SplitKind; parts: number }> = [];
  const used = new Set<SplitKind>();
  for (let i = 0; i < nodes.length && used.size < 3; i++) {
    if (!HEAVY.has(g.nodeByName.get(nodes[i]!)!.op)) continue;
    if (picks.some((p) => i < p.start + p.len + 1)) continue;
    for (const len of [5, 3, 1]) {
      const run = nodes.slice(i, i + len);
      const opt = analyzeSplits(g, run).find((o) => !used.has(o.kind));
      if (!opt) continue;
      used.add(opt.kind);
      picks.push({ start: i, len: run.length, kind: opt.kind, parts: Math.min(3, opt.maxParts) });
      break;
    }
  }
  return picks;
}

function slicesWithSplits(nodes: string[], picks: ReturnType<typeof pickSplits>): Slice[] {
  const slices: Slice[] = [];
  let at = 0;
  for (const p of [...picks].sort((a, b) => a.start - b.start)) {
    if (p.start > at) slices.push({ nodes: nodes.slice(at, p.start) });
    slices.push({ nodes: nodes.slice(p.start, p.start + p.len), split: { kind: p.kind, parts: p.parts } });
    at = p.start + p.len;
  }
  if (at < nodes.length) slices.push({ nodes: nodes.slice(at) });
  return slices;
}

describe('tiny zoo models: build + verify with hand-made plans', () => {
  for (const name of ZOO_NAMES) {
    it(`${name}: vertical cuts (2, 5 slices) and horizontal splits`, async () => {
      const dir = tmpDir(`zoo-${name}`);
      const { path, hash } = writeModel(buildZooModel(name, { tiny: true }), dir);
      const { graph: g, inputShapes } = await openModel(path);
      const nodes = computeNodes(g);
      for (const k of [2, 5]) {
        const out = join(dir, `v${k}`);
        await buildPartition(path, makePlan(hash, inputShapes, evenCuts(nodes, k).map((n) => ({ nodes: n }))), out);
        const r = await verifyPartition(path, out, { runs: 1 });
        assert.ok(r.ok, `${name} ${k} slices: maxRelErr ${r.maxRelErr}`);
      }
      const picks = pickSplits(g, nodes);
      assert.ok(picks.length > 0, `${name}: some run is splittable`);
      const out = join(dir, 'h');
      const m = await buildPartition(path, makePlan(hash, inputShapes, slicesWithSplits(nodes, picks)), out);
      const r = await verifyPartition(path, out, { runs: 2 });
      const kinds = [...new Set(m.functions.filter((f) => f.split).map((f) => `${f.split!.kind}×${f.split!.parts}`))];
      assert.ok(r.ok, `${name} splits ${kinds}: maxRelErr ${r.maxRelErr}`);
      if (process.env.MOPAR_TEST_VERBOSE) process.stderr.write(`${name}: splits ${kinds.join(',')} maxRelErr ${r.maxRelErr.toExponential(2)}\n`);
    });
  }
});
