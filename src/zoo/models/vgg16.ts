/**
 * VGG-16 (Simonyan & Zisserman 2015, configuration D; torchvision vgg16): 13 conv 3×3 layers in five blocks
 * separated by 2×2 max-pools, then three fully connected layers 25088 → 4096 → 4096 → 1000.
 */
import { conv, flatten, gemm, maxPool } from '../layers.js';
import type { ZooModelDef } from '../types.js';

const D = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;

export const vgg16: ZooModelDef = {
  name: 'vgg16',
  category: 'classic-cnn',
  referenceParams: 138.4e6,
  source: 'Simonyan & Zisserman, Very Deep Convolutional Networks (ICLR 2015), config D; torchvision vgg16',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const div = tiny ? 8 : 1;
    let x = n.input('input', 'float32', [1, 3, res, res]);
    D.forEach((v, i) => { x = n.scope(`features.${i}`, () => (v === 'M' ? maxPool(n, x, 2, 2) : conv(n, x, v / div, 3))); });
    // At 224 the last feature map is already 7×7, so torchvision's adaptive pool is the identity (exporters drop it).
    x = flatten(n, x);
    const hidden = tiny ? 128 : 4096;
    x = n.scope('classifier.0', () => gemm(n, x, hidden, 'relu'));
    x = n.scope('classifier.3', () => gemm(n, x, hidden, 'relu'));
    n.output(n.scope('classifier.6', () => gemm(n, x, tiny ? 10 : 1000)), 'logits');
  },
};
