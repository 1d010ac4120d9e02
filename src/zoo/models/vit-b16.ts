/** ViT-B/16 (Dosovitskiy et al., ICLR 2021): D = 768, 12 layers, 12 heads, MLP 3072, 224² input. */
import type { ZooModelDef } from '../types.js';
import { buildVit } from './vit.js';

export const vitB16: ZooModelDef = {
  name: 'vit-b16',
  category: 'vision-transformer',
  referenceParams: 86.6e6,
  source: 'Dosovitskiy et al., An Image is Worth 16x16 Words (ICLR 2021); timm vit_base_patch16_224',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    buildVit(n, tiny
      ? { res: 32, patch: 8, dim: 64, depth: 2, heads: 4, mlp: 256, classes: 10 }
      : { res: 224, patch: 16, dim: 768, depth: 12, heads: 12, mlp: 3072, classes: 1000 });
  },
};
