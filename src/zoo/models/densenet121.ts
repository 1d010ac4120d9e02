/**
 * DenseNet-121 (Huang et al. 2017; torchvision densenet121): growth rate 32, dense blocks of [6, 12, 24, 16]
 * BN-ReLU-Conv1×1(4k)-BN-ReLU-Conv3×3(k) layers whose inputs are the concatenation of all earlier outputs,
 * transitions BN-ReLU-Conv1×1(½)-AvgPool2. Pre-activation BNs stay as per-channel scale+shift (they act on a
 * concatenation and cannot fold backwards); the BN right after each 1×1 conv is folded into it.
 */
import { avgPool, bnAffine, concat, conv, flatten, gemm, globalAvgPool, maxPool } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

const relu = (n: Net, x: T) => n.op('Relu', [x], x.shape);

function denseLayer(n: Net, x: T, growth: number, bnSize: number): T {
  const y = conv(n, relu(n, bnAffine(n, x)), bnSize * growth, 1);
  return conv(n, y, growth, 3, { act: 'none', bias: false, scale: 0.7 });
}

export const densenet121: ZooModelDef = {
  name: 'densenet121',
  category: 'classic-cnn',
  referenceParams: 8.0e6,
  source: 'Huang et al., Densely Connected Convolutional Networks (CVPR 2017); torchvision densenet121',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const growth = tiny ? 8 : 32;
    const blocks = tiny ? [2, 2, 2, 2] : [6, 12, 24, 16];
    let x = n.input('input', 'float32', [1, 3, res, res]);
    x = n.scope('features.conv0', () => maxPool(n, conv(n, x, 2 * growth, 7, { stride: 2 }), 3, 2, 1));
    blocks.forEach((layers, b) => {
      const features = [x];
      for (let i = 0; i < layers; i++) {
        features.push(n.scope(`features.denseblock${b + 1}.denselayer${i + 1}`,
          () => denseLayer(n, features.length === 1 ? x : concat(n, features, 1), growth, 4)));
      }
      x = concat(n, features, 1);
      if (b < blocks.length - 1) {
        x = n.scope(`features.transition${b + 1}`,
          () => avgPool(n, conv(n, relu(n, bnAffine(n, x)), x.shape[1]! / 2, 1, { act: 'none', bias: false }), 2, 2));
      }
    });
    x = n.scope('features.norm5', () => relu(n, bnAffine(n, x)));
    n.output(n.scope('classifier', () => gemm(n, flatten(n, globalAvgPool(n, x)), tiny ? 10 : 1000)), 'logits');
  },
};
