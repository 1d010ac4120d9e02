/**
 * BERT-base (Devlin et al. 2019; HF bert-base-uncased BertModel): L=12, H=768, A=12, FFN 3072, vocab 30522,
 * 512 positions, post-LayerNorm blocks, tanh pooler. Sequence length 128; padding mask from `attention_mask`.
 */
import { add, attention, layerNorm, linear, mlp, reshape } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

export interface BertConfig { vocab: number; hidden: number; layers: number; heads: number; ffn: number; positions: number; seq: number }

const FULL: BertConfig = { vocab: 30522, hidden: 768, layers: 12, heads: 12, ffn: 3072, positions: 512, seq: 128 };
const TINY: BertConfig = { vocab: 1000, hidden: 64, layers: 2, heads: 4, ffn: 256, positions: 64, seq: 16 };

function embed(n: Net, ids: T, rows: number, d: number, hint: string): T {
  const table = n.weight(hint, [rows, d], 0.5);
  return n.op('Gather', [table, ids], [...ids.shape, d], { axis: 0 });
}

export function bertEncoder(n: Net, c: BertConfig): { hidden: T; pooled: T } {
  const ids = n.input('input_ids', 'int64', [1, c.seq]);
  const mask = n.input('attention_mask', 'int64', [1, c.seq]);
  const positions = n.data('position_ids', 'int64', [1, c.seq], BigInt64Array.from({ length: c.seq }, (_, i) => BigInt(i)));
  const types = n.data('token_type_ids', 'int64', [1, c.seq], new BigInt64Array(c.seq));
  let x = n.scope('embeddings', () => layerNorm(n, add(n, add(n, embed(n, ids, c.vocab, c.hidden, 'word_embeddings'),
    embed(n, positions, c.positions, c.hidden, 'position_embeddings')), embed(n, types, 2, c.hidden, 'token_type_embeddings')), 1e-12));
  // (1 − mask) · −10000, broadcast over heads and query positions.
  const bias = n.scope('extended_attention_mask', () => {
    const m = n.op('Cast', [mask], mask.shape, { to: 1 }, { dtype: 'float32' });
    const inv = n.op('Sub', [n.scalar(1, 'one'), m], m.shape);
    return reshape(n, n.op('Mul', [inv, n.scalar(-10000, 'neg_inf')], m.shape), [1, 1, 1, c.seq]);
  });
  for (let l = 0; l < c.layers; l++) {
    x = n.scope(`encoder.layer.${l}`, () => {
      const y = layerNorm(n, add(n, x, attention(n, x, c.heads, { mask: bias, outScale: 0.5 })), 1e-12);
      return layerNorm(n, add(n, y, mlp(n, y, c.ffn, 'gelu', 0.5)), 1e-12);
    });
  }
  const pooled = n.scope('pooler', () => {
    const first = n.op('Gather', [x, n.data('cls_index', 'int64', [], BigInt64Array.of(0n))], [1, c.hidden], { axis: 1 });
    return n.op('Tanh', [linear(n, first, c.hidden)], [1, c.hidden]);
  });
  return { hidden: x, pooled };
}

export const bertBase: ZooModelDef = {
  name: 'bert-base',
  category: 'language-recsys',
  referenceParams: 110e6,
  source: 'Devlin et al., BERT (NAACL 2019); HF bert-base-uncased (BertModel with pooler)',
  io: 'input_ids, attention_mask int64 [1,128] → last_hidden_state [1,128,768], pooler_output [1,768]',
  build(n, tiny) {
    const { hidden, pooled } = bertEncoder(n, tiny ? TINY : FULL);
    n.output(hidden, 'last_hidden_state');
    n.output(pooled, 'pooler_output');
  },
};
