/**
 * Reading a plan and checking that it belongs to the model and is executable: every computing node in exactly
 * one group, sub-slice groups consistent, and the groups' dataflow acyclic (each cut convex).
 */
import { MoparError, readJsonFile, validate } from '../core/index.js';
import { pieceOf, type Graph, type Piece } from '../graph/index.js';
import type { Plan, PlanFunction } from '../plan/index.js';

/** Reads a plan file: JSON, kind, then docs/schemas/plan.schema.json (types, ranges: memoryMB >= 1, vcpu > 0). */
export function readPlan(path: string): Plan {
  const raw = readJsonFile(path, 'plan file');
  if ((raw as { kind?: unknown } | null)?.kind !== 'mopar.plan' || !Array.isArray((raw as { functions?: unknown }).functions)) {
    throw new MoparError(`${path} is not a mopar plan (expected kind 'mopar.plan' with a functions list)`);
  }
  return validate<Plan>('plan', raw, path);
}

export interface PlanGroup {
  id: string;
  functions: PlanFunction[];
  nodes: string[];
  split?: { kind: NonNullable<PlanFunction['split']>['kind']; parts: number };
  piece: Piece;
}

/** The plan's groups in an executable (topological) order. */
export function checkPlan(g: Graph, plan: Plan): PlanGroup[] {
  if (plan.functions.length === 0) throw new MoparError('plan has no functions');
  const byGroup = new Map<string, PlanFunction[]>();
  const names = new Set<string>();
  for (const f of plan.functions) {
    if (!f.name || !Array.isArray(f.nodes)) throw new MoparError('plan function without a name or nodes list');
    if (names.has(f.name)) throw new MoparError(`plan names two functions '${f.name}'`);
    names.add(f.name);
    const id = f.group || f.name;
    byGroup.set(id, [...(byGroup.get(id) ?? []), f]);
  }
  const owner = new Map<string, string>();
  const groups: PlanGroup[] = [];
  for (const [id, fns] of byGroup) {
    const nodes = [...fns[0]!.nodes];
    const key = [...nodes].sort().join('\0');
    for (const f of fns) {
      if ([...f.nodes].sort().join('\0') !== key) throw new MoparError(`sub-slices of group '${id}' list different nodes ('${f.name}' vs '${fns[0]!.name}')`);
    }
    let split: PlanGroup['split'];
    const k = fns.length;
    if (k > 1 || (fns[0]!.split && fns[0]!.split.parts > 1)) {
      const kinds = new Set(fns.map((f) => f.split?.kind));
      const idx = fns.map((f) => f.split?.index).sort((a, b) => (a ?? -1) - (b ?? -1));
      if (kinds.size !== 1 || kinds.has(undefined)) throw new MoparError(`group '${id}' has ${k} functions but they do not share one split kind`);
      if (fns.some((f) => f.split!.parts !== k) || idx.some((v, i) => v !== i)) {
        throw new MoparError(`group '${id}': split parts/indices do not match its ${k} sub-slice function(s) (need indices 0..${k - 1} of ${k})`);
      }
      split = { kind: fns[0]!.split!.kind, parts: k };
      fns.sort((a, b) => a.split!.index - b.split!.index);
    }
    for (const n of nodes) {
      const node = g.nodeByName.get(n);
      if (!node) throw new MoparError(`plan function '${fns[0]!.name}' names node '${n}', which is not in the model (was the plan made for another model?)`);
      if (node.isConstant) continue; // weights: copied into every group that reads them
      const prev = owner.get(n);
      if (prev && prev !== id) throw new MoparError(`node '${n}' is in two groups of the plan ('${prev}' and '${id}')`);
      owner.set(n, id);
    }
    groups.push({ id, functions: fns, nodes, split, piece: pieceOf(g, nodes) });
  }
  const missing = g.nodes.filter((n) => !n.isConstant && !owner.has(n.name)).map((n) => n.name);
  if (missing.length) {
    throw new MoparError(`plan does not cover ${missing.length} node(s) of the model (e.g. ${missing.slice(0, 3).map((m) => `'${m}'`).join(', ')})`);
  }
  return topoGroups(g, groups, owner);
}

function topoGroups(g: Graph, groups: PlanGroup[], owner: Map<string, string>): PlanGroup[] {
  const deps = new Map<string, Set<string>>();
  for (const gr of groups) {
    const d = new Set<string>();
    for (const i of gr.piece.inputs) {
      const p = g.tensors.get(i)?.producer;
      const o = p ? owner.get(p) : undefined;
      if (o && o !== gr.id) d.add(o);
    }
    deps.set(gr.id, d);
  }
  const done = new Set<string>();
  const order: PlanGroup[] = [];
  let left = [...groups];
  while (left.length) {
    const ready = left.filter((gr) => [...deps.get(gr.id)!].every((d) => done.has(d)));
    if (ready.length === 0) {
      throw new MoparError(`plan is not executable: groups ${left.slice(0, 3).map((gr) => `'${gr.id}'`).join(', ')} depend on each other (a cut is not convex)`);
    }
    for (const gr of ready) { done.add(gr.id); order.push(gr); }
    left = left.filter((gr) => !done.has(gr.id));
  }
  return order;
}
