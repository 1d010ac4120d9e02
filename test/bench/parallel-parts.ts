/** A tiny plan with parallel sub-slices, built with its plan.json: what verify --measure and the sweep compose. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/graph/index.js';
import { buildPartition } from '../../src/partition/index.js';
import type { Plan } from '../../src/plan/index.js';
import { fixture } from '../fixtures/graphs.js';
import { computeNodes, makePlan, writeModel } from '../partition/plans.js';

/** The residual fixture's first conv split by channel into two 1-vCPU sub-slices, then the rest (3 functions). */
export async function writeParallelParts(dir: string): Promise<{ model: string; parts: string; plan: Plan }> {
  const { path, hash } = writeModel(fixture('residual').build(), dir);
  const { graph: g, inputShapes } = await openModel(path, {});
  const nodes = computeNodes(g);
  const i0 = nodes.findIndex((n) => g.nodeByName.get(n)!.op === 'Conv');
  const plan = makePlan(hash, inputShapes, [{ nodes: nodes.slice(0, i0 + 1), split: { kind: 'channel', parts: 2 } }, { nodes: nodes.slice(i0 + 1) }]);
  const parts = join(dir, 'parts');
  await buildPartition(path, plan, parts);
  writeFileSync(join(parts, 'plan.json'), JSON.stringify(plan));
  return { model: path, parts, plan };
}
