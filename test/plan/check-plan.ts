/** Structural checks every plan must pass, whatever the strategy. */
import assert from 'node:assert/strict';
import { getPlatform, type Plan } from '../../src/plan/index.js';
import type { Profile } from '../../src/profile/types.js';

export function checkPlan(plan: Plan, profile: Profile): void {
  assert.equal(plan.kind, 'mopar.plan');
  assert.equal(plan.modelHash, profile.modelHash);
  const platform = getPlatform(plan.platform);
  const groups = new Map<string, Plan['functions']>();
  for (const f of plan.functions) groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
  assert.equal(new Set(plan.functions.map((f) => f.name)).size, plan.functions.length, 'function names are unique');
  let next = 0;
  for (const [group, fns] of groups) {
    const f0 = fns[0]!;
    // Groups cover the layers in order, each exactly once.
    assert.equal(f0.layers[0], next, `group ${group} starts where the previous one ended`);
    next = f0.layers[1] + 1;
    const want = profile.layers.slice(f0.layers[0], f0.layers[1] + 1).flatMap((l) => l.nodes);
    if (fns.length === 1) {
      assert.equal(f0.split, undefined, 'a group of one is not split');
    } else {
      fns.forEach((f, i) => {
        assert.deepEqual(f.split && { index: f.split.index, parts: f.split.parts }, { index: i, parts: fns.length });
        assert.equal(f.split!.kind, f0.split!.kind);
        const kinds = profile.layers.slice(f0.layers[0], f0.layers[1] + 1).map((l) => l.splits.map((s) => s.kind));
        assert.ok(kinds.every((k) => k.includes(f.split!.kind)), 'split kind offered by every layer of the slice');
      });
    }
    for (const f of fns) {
      assert.deepEqual(f.nodes, want, `${f.name} computes exactly its layers' nodes`);
      assert.deepEqual(f.layers, f0.layers);
      assert.ok(f.memoryMB >= platform.memory.minMB && f.memoryMB <= platform.memory.maxMB, `${f.name} memory in range`);
      assert.ok(f.memoryMB + 1e-9 >= Math.ceil(f.predicted.peakMB) - platform.memory.stepMB, `${f.name} memory covers its need`);
      assert.ok(f.vcpu > 0);
      assert.ok(f.predicted.costPerMillionUSD > 0);
      assert.ok(f.similarity && typeof f.similarity.dominantOp === 'string');
    }
  }
  assert.equal(next, profile.layers.length, 'the groups cover every layer');
  const all = plan.functions.filter((f) => !f.split || f.split.index === 0).flatMap((f) => f.nodes);
  assert.deepEqual(all, profile.layers.flatMap((l) => l.nodes), 'every node exactly once');
  const fnCost = plan.functions.reduce((s, f) => s + f.predicted.costPerMillionUSD, 0);
  assert.ok(plan.predicted.costPerMillionUSD + 1e-6 * plan.functions.length >= fnCost, 'total cost includes every function');
  if (plan.sloMet !== false) assert.ok(plan.predicted.latencyMs <= plan.sloMs + 1e-3, 'meets its SLO');
  assert.ok(plan.predicted.efficiency > 0 && plan.predicted.efficiency <= 1);
  const names = new Set(plan.functions.map((f) => f.name));
  const groupOf = new Map(plan.functions.map((f) => [f.name, f.group]));
  const firstLayer = new Map(plan.functions.map((f) => [f.name, f.layers[0]]));
  for (const e of plan.edges) {
    assert.ok(e.bytes >= 0 && e.to.length > 0);
    assert.ok(['inline', 'compressed', 'shm', 'object-store'].includes(e.transport));
    assert.ok(e.from === '$input' || names.has(e.from) || groups.has(e.from), `edge ${e.tensor} from a function, a group or $input`);
    const fromGroup = names.has(e.from) ? groupOf.get(e.from) : e.from;
    for (const t of e.to) {
      if (t === '$output') continue;
      assert.ok(names.has(t), `edge ${e.tensor} goes to a function`);
      assert.notEqual(groupOf.get(t), fromGroup, 'an edge crosses a cut');
      if (e.from !== '$input') assert.ok(firstLayer.get(t)! > (groups.get(fromGroup!)?.[0]!.layers[1] ?? -1), 'edges go forward');
    }
  }
  assert.equal(plan.edges.length > 0, groups.size > 1, 'cuts have edges');
  assert.deepEqual(JSON.parse(JSON.stringify(plan)).functions, plan.functions, 'plain data');
}
