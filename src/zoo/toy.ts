/**
 * The toy model of the runtime's tests and benches: small enough to start in milliseconds, with a parallel pair
 * of MatMuls so that a hand cut (partition's `writeManifest`) can make a parallel group.
 */
import { join } from 'node:path';
import { GraphBuilder, saveModel } from '../graph/index.js';

/** `n` deterministic weights in [-0.25, 0.25) from a linear congruential generator seeded with `seed`. */
export function toyWeights(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = (s / 2147483648 - 0.5) * 0.5; }
  return a;
}

/** x[1,D] → MatMul → Relu → (MatMul a ‖ MatMul b) → Add → y[1,8], written as DIR/toy.onnx. Returns the path. */
export function writeToyModel(dir: string, D = 16, H = 32): string {
  const b = new GraphBuilder('toy');
  const x = b.input('x', 'float32', [1, D]);
  const w1 = b.init('w1', 'float32', [D, H], toyWeights(D * H, 1));
  const h = b.node('MatMul', [x, w1], {}, { name: 'mm1' });
  const r = b.node('Relu', [h], {}, { name: 'relu' });
  const wa = b.init('wa', 'float32', [H, 8], toyWeights(H * 8, 2));
  const wb = b.init('wb', 'float32', [H, 8], toyWeights(H * 8, 3));
  const a = b.node('MatMul', [r, wa], {}, { name: 'mma' });
  const c = b.node('MatMul', [r, wb], {}, { name: 'mmb' });
  const y = b.node('Add', [a, c], {}, { name: 'add' });
  const out = b.node('Identity', [y], {}, { name: 'out' });
  b.outputs.length = 0;
  b.output(out, 'float32', [1, 8]);
  const path = join(dir, 'toy.onnx');
  saveModel(b.model(17), path);
  return path;
}
