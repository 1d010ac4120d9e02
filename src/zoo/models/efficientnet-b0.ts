/**
 * EfficientNet-B0 (Tan & Le 2019; torchvision efficientnet_b0): MBConv blocks with squeeze-and-excitation
 * (squeeze to ¼ of the block's input channels) and SiLU, per the paper's Table 1; BatchNorm folded into convs.
 */
import { add, conv, flatten, gemm, globalAvgPool, squeezeExcite } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

// Table 1: expansion, kernel, first stride, output channels, layers.
const TABLE: [number, number, number, number, number][] = [
  [1, 3, 1, 16, 1], [6, 3, 2, 24, 2], [6, 5, 2, 40, 2], [6, 3, 2, 80, 3], [6, 5, 1, 112, 3], [6, 5, 2, 192, 4], [6, 3, 1, 320, 1],
];

function mbconv(n: Net, x: T, expand: number, k: number, stride: number, out: number): T {
  const cin = x.shape[1]!;
  const hidden = cin * expand;
  let y = expand === 1 ? x : conv(n, x, hidden, 1, { act: 'silu' });
  y = conv(n, y, hidden, k, { stride, groups: hidden, act: 'silu' });
  y = squeezeExcite(n, y, Math.max(1, Math.floor(cin / 4)));
  const residual = stride === 1 && cin === out;
  // SE gates start near sigmoid(0) = ½: the projection makes up for it so the signal does not fade with depth.
  y = conv(n, y, out, 1, { act: 'none', scale: residual ? 1 : 2 });
  return residual ? add(n, x, y) : y;
}

export const efficientnetB0: ZooModelDef = {
  name: 'efficientnet-b0',
  category: 'efficient-cnn',
  referenceParams: 5.3e6,
  source: 'Tan & Le, EfficientNet (ICML 2019); torchvision efficientnet_b0',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const w = (c: number) => (tiny ? Math.max(8, c / 4) : c);
    let x = n.input('input', 'float32', [1, 3, res, res]);
    x = n.scope('features.0', () => conv(n, x, w(32), 3, { stride: 2, act: 'silu' }));
    TABLE.forEach(([e, k, s, c, reps], stage) => {
      for (let i = 0; i < (tiny ? 1 : reps); i++) x = n.scope(`features.${stage + 1}.${i}`, () => mbconv(n, x, e, k, i === 0 ? s : 1, w(c)));
    });
    x = n.scope('features.8', () => conv(n, x, tiny ? 64 : 1280, 1, { act: 'silu' }));
    n.output(n.scope('classifier', () => gemm(n, flatten(n, globalAvgPool(n, x)), tiny ? 10 : 1000)), 'logits');
  },
};
