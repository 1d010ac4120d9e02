/**
 * ResNet-50 (He et al. 2016, torchvision v1.5: stride in the 3×3 conv), BatchNorm folded into Conv.
 * Table 1: conv1 7×7/2 64, max-pool 3×3/2, then bottleneck stages [1×1 w, 3×3 w, 1×1 4w] × [3, 4, 6, 3].
 */
import { add, conv, flatten, gemm, globalAvgPool, maxPool } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

function bottleneck(n: Net, x: T, width: number, stride: number): T {
  const out = width * 4;
  let y = conv(n, x, width, 1);
  y = conv(n, y, width, 3, { stride });
  y = conv(n, y, out, 1, { act: 'none', scale: 0.2 });
  const skip = stride !== 1 || x.shape[1] !== out ? conv(n, x, out, 1, { stride, act: 'none' }) : x;
  return n.op('Relu', [add(n, y, skip)], y.shape);
}

export const resnet50: ZooModelDef = {
  name: 'resnet50',
  category: 'classic-cnn',
  referenceParams: 25.6e6,
  source: 'He et al., Deep Residual Learning (CVPR 2016); torchvision resnet50',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const widths = tiny ? [8, 16, 32, 64] : [64, 128, 256, 512];
    const depths = tiny ? [1, 1, 1, 1] : [3, 4, 6, 3];
    let x = n.input('input', 'float32', [1, 3, res, res]);
    x = n.scope('conv1', () => maxPool(n, conv(n, x, widths[0]!, 7, { stride: 2 }), 3, 2, 1));
    widths.forEach((w, s) => {
      for (let i = 0; i < depths[s]!; i++) x = n.scope(`layer${s + 1}.${i}`, () => bottleneck(n, x, w, i === 0 && s > 0 ? 2 : 1));
    });
    n.output(n.scope('fc', () => gemm(n, flatten(n, globalAvgPool(n, x)), tiny ? 10 : 1000)), 'logits');
  },
};
