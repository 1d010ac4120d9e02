/**
 * MobileNetV2 (Sandler et al. 2018; torchvision mobilenet_v2, width 1.0): inverted residual blocks
 * (1×1 expand ReLU6, 3×3 depthwise ReLU6, 1×1 linear projection) per the paper's Table 2 (t, c, n, s),
 * BatchNorm folded into every conv.
 */
import { add, conv, flatten, gemm, globalAvgPool } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

// Table 2: expansion t, output channels c, repeats n, first stride s.
const TABLE: [number, number, number, number][] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

function invertedResidual(n: Net, x: T, t: number, out: number, stride: number): T {
  const cin = x.shape[1]!;
  let y = t === 1 ? x : conv(n, x, cin * t, 1, { act: 'relu6' });
  y = conv(n, y, cin * t, 3, { stride, groups: cin * t, act: 'relu6' });
  const residual = stride === 1 && cin === out;
  y = conv(n, y, out, 1, { act: 'none', scale: residual ? 0.5 : 1 });
  return residual ? add(n, x, y) : y;
}

export const mobilenetv2: ZooModelDef = {
  name: 'mobilenetv2',
  category: 'efficient-cnn',
  referenceParams: 3.5e6,
  source: 'Sandler et al., MobileNetV2 (CVPR 2018); torchvision mobilenet_v2',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const w = (c: number) => (tiny ? Math.max(8, c / 4) : c);
    let x = n.input('input', 'float32', [1, 3, res, res]);
    let idx = 0;
    x = n.scope(`features.${idx++}`, () => conv(n, x, w(32), 3, { stride: 2, act: 'relu6' }));
    for (const [t, c, reps, s] of TABLE) {
      for (let i = 0; i < (tiny ? 1 : reps); i++) x = n.scope(`features.${idx++}`, () => invertedResidual(n, x, t, w(c), i === 0 ? s : 1));
    }
    x = n.scope(`features.${idx}`, () => conv(n, x, tiny ? 64 : 1280, 1, { act: 'relu6' }));
    n.output(n.scope('classifier', () => gemm(n, flatten(n, globalAvgPool(n, x)), tiny ? 10 : 1000)), 'logits');
  },
};
