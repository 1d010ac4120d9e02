/**
 * MLP-Mixer-B/16 (Tolstikhin et al. 2021; timm mixer_b16_224): 16×16 patches → 196 tokens of width 768;
 * 12 blocks of token mixing (MLP 196 → 384 → 196 across tokens) and channel mixing (MLP 768 → 3072 → 768),
 * each pre-LayerNorm with a residual; global average over tokens, linear head.
 */
import { add, layerNorm, linear, mlp, transpose } from '../layers.js';
import type { ZooModelDef } from '../types.js';
import { patchEmbed } from './vit.js';

export const mixerB16: ZooModelDef = {
  name: 'mixer-b16',
  category: 'vision-transformer',
  referenceParams: 59.9e6,
  source: 'Tolstikhin et al., MLP-Mixer (NeurIPS 2021); timm mixer_b16_224',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const c = tiny
      ? { res: 32, patch: 8, dim: 64, depth: 2, tokenMlp: 32, channelMlp: 256, classes: 10 }
      : { res: 224, patch: 16, dim: 768, depth: 12, tokenMlp: 384, channelMlp: 3072, classes: 1000 };
    const image = n.input('input', 'float32', [1, 3, c.res, c.res]);
    let x = n.scope('stem', () => patchEmbed(n, image, c.patch, c.dim));
    for (let i = 0; i < c.depth; i++) {
      x = n.scope(`blocks.${i}`, () => {
        const t = mlp(n, transpose(n, layerNorm(n, x, 1e-6), [0, 2, 1]), c.tokenMlp, 'gelu', 0.5);
        const y = add(n, x, transpose(n, t, [0, 2, 1]));
        return add(n, y, mlp(n, layerNorm(n, y, 1e-6), c.channelMlp, 'gelu', 0.5));
      });
    }
    n.output(n.scope('head', () => {
      const pooled = n.op('ReduceMean', [layerNorm(n, x, 1e-6)], [1, c.dim], { axes: [1], keepdims: 0 });
      return linear(n, pooled, c.classes);
    }), 'logits');
  },
};
