/** Hand-made plans (a Plan is plain data): vertical cuts of a model's node list plus optional horizontal splits. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../src/core/hash.js';
import { encodeModel, type Graph, type InputShapes, type ModelProto } from '../../src/graph/index.js';
import type { SplitKind } from '../../src/graph/split/index.js';
import type { Plan, PlanFunction } from '../../src/plan/types.js';

export interface Slice { nodes: string[]; split?: { kind: SplitKind; parts: number } }

/** Folders made by tmpDir, removed when the test file's process exits (a suite run left 18 in /tmp). */
const made: string[] = [];
process.once('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

export function tmpDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `mopar-${tag}-`));
  made.push(d);
  return d;
}

export function writeModel(model: ModelProto, dir: string, name = 'model.onnx'): { path: string; hash: string } {
  const bytes = encodeModel(model);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, hash: sha256(bytes) };
}

/** The computing nodes (Constant nodes are weights, copied where used) in topological order. */
export function computeNodes(g: Graph): string[] {
  return g.nodes.filter((n) => !n.isConstant).map((n) => n.name);
}

/** Cuts `nodes` into `k` contiguous slices of (nearly) equal node count. */
export function evenCuts(nodes: string[], k: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < k; i++) {
    const s = nodes.slice(Math.floor((i * nodes.length) / k), Math.floor(((i + 1) * nodes.length) / k));
    if (s.length) out.push(s);
  }
  return out;
}

export function makePlan(modelHash: string, inputShapes: InputShapes, slices: Slice[], model = 'test'): Plan {
  const functions: PlanFunction[] = [];
  slices.forEach((s, i) => {
    const group = `s${i}`;
    const k = s.split?.parts ?? 1;
    for (let p = 0; p < k; p++) {
      functions.push({
        name: k > 1 ? `${group}.${p}` : group, memoryMB: 512, vcpu: 1, nodes: s.nodes, group, layers: [i, i],
        ...(s.split ? { split: { kind: s.split.kind, index: p, parts: k } } : {}),
        predicted: { ms: 1, costPerMillionUSD: 1, peakMB: 100 },
      });
    }
  });
  return {
    kind: 'mopar.plan', version: 1, model, modelHash, inputShapes, strategy: 'hand', platform: 'aws-lambda', sloMs: 1000,
    functions, edges: [], predicted: { latencyMs: 1, costPerMillionUSD: 1, efficiency: 1 },
    unsplit: { latencyMs: 1, costPerMillionUSD: 1, memoryMB: 512, vcpu: 1 }, planMs: 0,
  };
}
