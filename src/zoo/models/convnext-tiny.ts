/**
 * ConvNeXt-Tiny (Liu et al. 2022; torchvision convnext_tiny): patchify stem 4×4/4, stages of depths
 * [3, 3, 9, 3] and widths [96, 192, 384, 768]; block = depthwise 7×7 → LayerNorm → Linear 4× → GELU → Linear
 * → layer scale γ → residual; downsampling LayerNorm + 2×2/2 conv. LayerNorms run channels-last (Transpose).
 */
import { add, conv, flatten, gemm, globalAvgPool, layerNorm, mlp, transpose } from '../layers.js';
import type { Net, T } from '../net.js';
import type { ZooModelDef } from '../types.js';

const NHWC = [0, 2, 3, 1];
const NCHW = [0, 3, 1, 2];

/** LayerNorm over channels of an NCHW tensor. */
function channelNorm(n: Net, x: T): T {
  return transpose(n, layerNorm(n, transpose(n, x, NHWC), 1e-6), NCHW);
}

function block(n: Net, x: T): T {
  const d = x.shape[1]!;
  let y = conv(n, x, d, 7, { groups: d, act: 'none' });
  y = mlp(n, layerNorm(n, transpose(n, y, NHWC), 1e-6), 4 * d, 'gelu');
  y = n.op('Mul', [y, n.weight('layer_scale', [d], 0.02, 0.3)], y.shape);
  return add(n, x, transpose(n, y, NCHW));
}

export const convnextTiny: ZooModelDef = {
  name: 'convnext-tiny',
  category: 'efficient-cnn',
  referenceParams: 28.6e6,
  source: 'Liu et al., A ConvNet for the 2020s (CVPR 2022); torchvision convnext_tiny',
  io: 'input float32 [1,3,224,224] → logits [1,1000]',
  build(n, tiny) {
    const res = tiny ? 32 : 224;
    const dims = tiny ? [8, 16, 32, 64] : [96, 192, 384, 768];
    const depths = tiny ? [1, 1, 1, 1] : [3, 3, 9, 3];
    let x = n.input('input', 'float32', [1, 3, res, res]);
    x = n.scope('stem', () => channelNorm(n, conv(n, x, dims[0]!, 4, { stride: 4, pad: 0, act: 'none' })));
    dims.forEach((d, s) => {
      if (s > 0) x = n.scope(`downsample.${s}`, () => conv(n, channelNorm(n, x), d, 2, { stride: 2, pad: 0, act: 'none' }));
      for (let i = 0; i < depths[s]!; i++) x = n.scope(`stages.${s}.${i}`, () => block(n, x));
    });
    n.output(n.scope('head', () => gemm(n, layerNorm(n, flatten(n, globalAvgPool(n, x)), 1e-6), tiny ? 10 : 1000)), 'logits');
  },
};
