/**
 * Vision Transformer (Dosovitskiy et al. 2021; timm vit_*_patch16_224): 16×16 patch embedding (conv), class
 * token, learned position embeddings, pre-LayerNorm encoder blocks, classification from the class token.
 * Shared by ViT-B/16 and DeiT-S/16 (DeiT is the same architecture at width 384, 6 heads).
 */
import { add, attention, concat, conv, layerNorm, linear, mlp, reshape, transpose } from '../layers.js';
import type { Net, T } from '../net.js';

export interface VitConfig { res: number; patch: number; dim: number; depth: number; heads: number; mlp: number; classes: number }

/** Patch embedding: conv p×p/p, then [1, D, h, w] → [1, h·w, D]. Also used by MLP-Mixer. */
export function patchEmbed(n: Net, x: T, patch: number, dim: number): T {
  const y = conv(n, x, dim, patch, { stride: patch, pad: 0, act: 'none' });
  const tokens = y.shape[2]! * y.shape[3]!;
  return transpose(n, reshape(n, y, [1, dim, tokens]), [0, 2, 1]);
}

export function buildVit(n: Net, c: VitConfig): void {
  const image = n.input('input', 'float32', [1, 3, c.res, c.res]);
  let x = n.scope('patch_embed', () => {
    const p = patchEmbed(n, image, c.patch, c.dim);
    const t = concat(n, [n.weight('cls_token', [1, 1, c.dim], 0.5), p], 1);
    return add(n, t, n.weight('pos_embed', [1, t.shape[1]!, c.dim], 0.5));
  });
  for (let i = 0; i < c.depth; i++) {
    x = n.scope(`blocks.${i}`, () => {
      const y = add(n, x, attention(n, layerNorm(n, x, 1e-6), c.heads, { outScale: 0.5 }));
      return add(n, y, mlp(n, layerNorm(n, y, 1e-6), c.mlp, 'gelu', 0.5));
    });
  }
  n.output(n.scope('head', () => {
    const cls = n.op('Gather', [layerNorm(n, x, 1e-6), n.data('cls_index', 'int64', [], BigInt64Array.of(0n))], [1, c.dim], { axis: 1 });
    return linear(n, cls, c.classes);
  }), 'logits');
}
