/** Fixtures of the deploy --batching tests: a tiny model with a dynamic batch dim, cut in two, and a batching plan. */
import { writeFileSync } from 'node:fs';
import { GraphBuilder, type Feeds } from '../../src/graph/index.js';
import { writeBuiltDir, type Built } from './helpers.js';

function weights(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = (s / 2147483648 - 0.5) * 0.5; }
  return a;
}

/** x[N,8] → MatMul → Relu → MatMul → y[N,4], cut into two functions; N is a dynamic batch dim. */
export async function builtDynamic(dir: string, name = 'dyn'): Promise<Built> {
  const b = new GraphBuilder(name);
  const x = b.input('x', 'float32', ['N', 8]);
  const h = b.node('MatMul', [x, b.init('w1', 'float32', [8, 16], weights(128, 3))], {}, { name: 'mm1' });
  const r = b.node('Relu', [h], {}, { name: 'relu' });
  b.node('MatMul', [r, b.init('w2', 'float32', [16, 4], weights(64, 5))], {}, { name: 'mm2', outputNames: ['y'] });
  b.output('y', 'float32', ['N', 4]);
  return writeBuiltDir(b.model(17), dir, [{ name: 's0', nodes: ['mm1', 'relu'] }, { name: 's1', nodes: ['mm2'] }], name);
}

/** A plan as `mopar plan MODEL --apps … -o PLAN` writes it (the fields deploy reads, plus some it ignores). */
export function writePlan(file: string, model: string, groups = [{ apps: ['a'], maxBatch: 2, timeoutMs: 5000 }, { apps: ['b', 'c'], maxBatch: 4, timeoutMs: 80 }]): string {
  writeFileSync(file, JSON.stringify({
    kind: 'mopar.plan', version: 1, model, functions: [{ name: 'f0', memoryMB: 256, vcpu: 0.5, nodes: ['mm1'] }],
    apps: [{ name: 'a', sloMs: 20000, ratePerSec: 2 }, { name: 'b', sloMs: 20000, ratePerSec: 5 }, { name: 'c', sloMs: 30000, ratePerSec: 1 }],
    groups: groups.map((g) => ({ ...g, sloMs: 20000, ratePerSec: 3, functions: [{ name: 'f0', memoryMB: 512, vcpu: 1, nodes: ['mm1'] }], predicted: { p99Ms: 100 } })),
  }));
  return file;
}

export const row = (seed: number): Feeds => ({ x: { dtype: 'float32', dims: [1, 8], data: weights(8, seed).map((v) => v * 4) } });

