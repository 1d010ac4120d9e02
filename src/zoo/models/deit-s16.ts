/** DeiT-S/16 (Touvron et al., ICML 2021): the ViT architecture at D = 384, 12 layers, 6 heads, MLP 1536. */
import type { ZooModelDef } from '../types.js';
import { buildVit } from './vit.js';

export const deitS16: ZooModelDef = {
  name: 'deit-s16',
  category: 'vision-transformer',
  referenceParams: 22.1e6,
  source: 'Touvron et al., Training data-efficient image transformers (ICML 2021); timm deit_small_patch16_224',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    buildVit(n, tiny
      ? { res: 32, patch: 8, dim: 48, depth: 2, heads: 3, mlp: 192, classes: 10 }
      : { res: 224, patch: 16, dim: 384, depth: 12, heads: 6, mlp: 1536, classes: 1000 });
  },
};
