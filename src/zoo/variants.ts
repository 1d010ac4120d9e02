/**
 * Fine-tuned variants of one model (issue 30's fleets): the same graph and weights except those whose names match
 * `own` (say, a ResNet's last stage and classifier), each moved by seeded noise — what teams serving many
 * fine-tunings of one backbone hold. Variant 0 is the model itself.
 */
import { Rng } from '../core/index.js';
import { decodeModel, encodeModel, type ModelProto } from '../graph/index.js';

/** A ResNet's own part per variant: the last stage and the classifier (the zoo's names). */
export const RESNET_HEAD = /^(layer4\.|fc\.)/;
/** What a variant fine-tunes: a ResNet's last stage and classifier, or its classifier alone (a frozen backbone). */
export const VARIANT_HEADS = { 'last-stage': RESNET_HEAD, classifier: /^fc\./ } as const;
export type VariantHead = keyof typeof VARIANT_HEADS;

/** Variant `v` of `base`: the float32 initializers matching `own` moved by uniform noise of ±`scale` (seed 100 + v). */
export function modelVariant(base: ModelProto, v: number, own: RegExp = RESNET_HEAD, scale = 0.05): ModelProto {
  const m = decodeModel(encodeModel(base));
  if (v === 0) return m;
  const rng = new Rng(100 + v);
  for (const t of m.graph!.initializer) {
    if (!own.test(t.name) || t.rawData.byteLength === 0) continue;
    const f = new Float32Array(t.rawData.slice().buffer);
    for (let i = 0; i < f.length; i++) f[i] = f[i]! + rng.uniform(-scale, scale);
    t.rawData = new Uint8Array(f.buffer);
  }
  return m;
}
