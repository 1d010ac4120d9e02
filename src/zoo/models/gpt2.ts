/**
 * GPT-2 small (Radford et al. 2019; HF gpt2): 12 pre-LayerNorm decoder blocks, D = 768, 12 heads, MLP 3072
 * with gelu_new, 1024 learned positions, causal self-attention (additive mask constant inside the graph), and
 * the LM head tied to the token embedding (one initializer read by the Gather and by the final Gemm).
 */
import { add, attention, layerNorm, mlp, reshape } from '../layers.js';
import type { ZooModelDef } from '../types.js';

export const gpt2: ZooModelDef = {
  name: 'gpt2',
  category: 'language-recsys',
  referenceParams: 124e6,
  source: 'Radford et al., Language Models are Unsupervised Multitask Learners (2019); HF gpt2 (LM head tied)',
  io: 'input_ids int64 [1,128] → logits [1,128,50257]',
  build(n, tiny) {
    const c = tiny
      ? { vocab: 1000, positions: 64, dim: 64, layers: 2, heads: 4, seq: 16 }
      : { vocab: 50257, positions: 1024, dim: 768, layers: 12, heads: 12, seq: 128 };
    const ids = n.input('input_ids', 'int64', [1, c.seq]);
    const wte = n.weight('wte', [c.vocab, c.dim], 0.1);
    const positions = n.data('position_ids', 'int64', [1, c.seq], BigInt64Array.from({ length: c.seq }, (_, i) => BigInt(i)));
    let x = n.scope('embed', () => add(n, n.op('Gather', [wte, ids], [1, c.seq, c.dim], { axis: 0 }),
      n.op('Gather', [n.weight('wpe', [c.positions, c.dim], 0.1), positions], [1, c.seq, c.dim], { axis: 0 })));
    const causal = new Float32Array(c.seq * c.seq);
    for (let i = 0; i < c.seq; i++) for (let j = i + 1; j < c.seq; j++) causal[i * c.seq + j] = -10000;
    const mask = n.data('causal_mask', 'float32', [1, 1, c.seq, c.seq], causal);
    for (let l = 0; l < c.layers; l++) {
      x = n.scope(`h.${l}`, () => {
        const y = add(n, x, attention(n, layerNorm(n, x), c.heads, { mask, outScale: 0.5 }));
        return add(n, y, mlp(n, layerNorm(n, y), 4 * c.dim, 'gelu_tanh', 0.5));
      });
    }
    x = n.scope('ln_f', () => reshape(n, layerNorm(n, x), [c.seq, c.dim]));
    const logits = n.scope('lm_head', () => n.op('Gemm', [x, wte], [c.seq, c.vocab], { transB: 1 }));
    n.output(reshape(n, logits, [1, c.seq, c.vocab]), 'logits');
  },
};
