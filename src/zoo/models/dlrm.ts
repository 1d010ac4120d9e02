/**
 * DLRM (Naumov et al. 2019) in its Criteo configuration: 13 dense features through a bottom MLP
 * 13-512-256-64, 26 categorical features each looked up in its own 64-wide embedding table, pairwise
 * dot-product interaction of the 27 vectors (351 pairs) concatenated with the bottom output, top MLP
 * 415-512-256-1 and a sigmoid. Table sizes are the Criteo Kaggle (Display Advertising Challenge) cardinalities
 * capped at 100,000 rows by the hashing trick: 840,543 rows × 64 × 4 B = 215 MB of embeddings (53.8 M params).
 * Each categorical feature is its own int64 input `sparse_NN` [1,1], so any id source can feed it.
 */
import { concat, linear, reshape } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

/** Criteo Kaggle categorical cardinalities (C1..C26). */
export const CRITEO_CARDINALITIES = [
  1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27, 14992, 5461306, 10, 5652,
  2173, 4, 7046547, 18, 15, 286181, 105, 142572,
];

export function mlpStack(n: Net, x: T, widths: number[], last: 'relu' | 'none'): T {
  widths.forEach((w, i) => { x = linear(n, x, w, { act: i === widths.length - 1 ? last : 'relu' }); });
  return x;
}

export const dlrm: ZooModelDef = {
  name: 'dlrm',
  category: 'language-recsys',
  // No single published count: this is the configuration's own (embeddings 53,794,752 + MLPs 499,521).
  referenceParams: 54_294_273,
  source: 'Naumov et al., Deep Learning Recommendation Model (2019), Criteo Kaggle config, tables capped at 100k rows',
  io: 'dense float32 [1,13], sparse_00..sparse_25 int64 [1,1] → probability [1,1]',
  build(n, tiny) {
    const c = tiny
      ? { dim: 16, cap: 1000, bottom: [64, 32, 16], top: [64, 32, 1] }
      : { dim: 64, cap: 100_000, bottom: [512, 256, 64], top: [512, 256, 1] };
    const dense = n.input('dense', 'float32', [1, 13]);
    const bottom = n.scope('bot_l', () => mlpStack(n, dense, c.bottom, 'relu'));
    const vectors = [reshape(n, bottom, [1, 1, c.dim])];
    CRITEO_CARDINALITIES.forEach((card, i) => {
      const ids = n.input(`sparse_${String(i).padStart(2, '0')}`, 'int64', [1, 1]);
      const table = n.weight(`emb_${i}`, [Math.min(card, c.cap), c.dim], 0.5);
      vectors.push(n.op('Gather', [table, ids], [1, 1, c.dim], { axis: 0 }, { name: `emb_l.${i}` }));
    });
    // Dot-product interaction: Z·Zᵀ, keep the strictly lower triangle (f·(f−1)/2 pairs).
    const tri = n.scope('interact', () => {
      const z = concat(n, vectors, 1);
      const f = z.shape[1]!;
      const zt = n.op('Transpose', [z], [1, c.dim, f], { perm: [0, 2, 1] });
      const dots = reshape(n, n.op('MatMul', [z, zt], [1, f, f]), [1, f * f]);
      const pairs: bigint[] = [];
      for (let i = 0; i < f; i++) for (let j = 0; j < i; j++) pairs.push(BigInt(i * f + j));
      return n.op('Gather', [dots, n.data('pair_index', 'int64', [pairs.length], BigInt64Array.from(pairs))], [1, pairs.length], { axis: 1 });
    });
    const top = n.scope('top_l', () => mlpStack(n, concat(n, [bottom, tri], 1), c.top, 'none'));
    n.output(n.op('Sigmoid', [top], top.shape), 'probability');
  },
};
