/**
 * DLRM at production scale (issue 15's memory-heavy recommender): the Criteo Kaggle configuration with its 26
 * embedding tables *uncapped* (33,762,577 rows in all) at width 16: 540 M parameters, 2.16 GB of fp32 —
 * past protobuf's 2 GiB message limit, so the zoo always writes it with ONNX external data (`<file>.data`), as
 * large real models ship. A request scores one user against 256 candidate items, as production rankers do:
 * inputs are [1, 256, …] (leading dim 1 = one request, so `--batch dynamic` can batch requests), each row one
 * (user, candidate) pair's 13 dense features and 26 categorical ids. Bottom MLP 13-512-256-16, pairwise
 * dot-product interaction of the 27 vectors (351 pairs), top MLP 367-512-256-1, sigmoid.
 * The tiny variant keeps the 26 tables and the external-data layout (64 rows each, width 4: 1 KiB tables, onnx's own external-data threshold; 8 candidates), so
 * tests run every stage on a model whose weights live outside the .onnx file.
 */
import { concat, reshape } from '../layers.js';
import type { ZooModelDef } from '../types.js';
import { CRITEO_CARDINALITIES, mlpStack } from './dlrm.js';

export const dlrmCriteo: ZooModelDef = {
  name: 'dlrm-criteo',
  category: 'language-recsys',
  // Embeddings 33,762,577 × 16 = 540,201,232 + MLPs 462,609 (this configuration's own count).
  referenceParams: 540_663_841,
  source: 'Naumov et al., Deep Learning Recommendation Model (2019), Criteo Kaggle cardinalities uncapped, dim 16, 256 candidates per request',
  io: 'dense float32 [1,256,13], sparse_00..sparse_25 int64 [1,256] → probability [1,256,1]',
  externalData: true,
  build(n, tiny) {
    const c = tiny
      ? { dim: 4, cap: 64, items: 8, bottom: [16, 8, 4], top: [16, 8, 1] }
      : { dim: 16, cap: Infinity, items: 256, bottom: [512, 256, 16], top: [512, 256, 1] };
    const B = c.items;
    const dense = n.input('dense', 'float32', [1, B, 13]);
    const bottom = n.scope('bot_l', () => mlpStack(n, dense, c.bottom, 'relu'));
    const vectors = [reshape(n, bottom, [1, B, 1, c.dim])];
    CRITEO_CARDINALITIES.forEach((card, i) => {
      const ids = n.input(`sparse_${String(i).padStart(2, '0')}`, 'int64', [1, B]);
      const table = n.weight(`emb_${i}`, [Math.min(card, c.cap), c.dim], 0.5);
      const rows = n.op('Gather', [table, ids], [1, B, c.dim], { axis: 0 }, { name: `emb_l.${i}` });
      vectors.push(reshape(n, rows, [1, B, 1, c.dim]));
    });
    // Dot-product interaction per candidate: Z·Zᵀ over the 27 vectors, keep the strictly lower triangle.
    const tri = n.scope('interact', () => {
      const z = concat(n, vectors, 2);
      const f = z.shape[2]!;
      const zt = n.op('Transpose', [z], [1, B, c.dim, f], { perm: [0, 1, 3, 2] });
      const dots = reshape(n, n.op('MatMul', [z, zt], [1, B, f, f]), [1, B, f * f]);
      const pairs: bigint[] = [];
      for (let i = 0; i < f; i++) for (let j = 0; j < i; j++) pairs.push(BigInt(i * f + j));
      return n.op('Gather', [dots, n.data('pair_index', 'int64', [pairs.length], BigInt64Array.from(pairs))], [1, B, pairs.length], { axis: 2 });
    });
    const top = n.scope('top_l', () => mlpStack(n, concat(n, [bottom, tri], 2), c.top, 'none'));
    n.output(n.op('Sigmoid', [top], top.shape), 'probability');
  },
};
