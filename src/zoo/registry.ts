/** The twelve reference architectures, in CONTRACTS.md order (4 categories × 3), then the production-scale recommender. */
import type { ZooModelDef } from './types.js';
import { vgg16 } from './models/vgg16.js';
import { resnet50 } from './models/resnet50.js';
import { densenet121 } from './models/densenet121.js';
import { mobilenetv2 } from './models/mobilenetv2.js';
import { efficientnetB0 } from './models/efficientnet-b0.js';
import { convnextTiny } from './models/convnext-tiny.js';
import { vitB16 } from './models/vit-b16.js';
import { deitS16 } from './models/deit-s16.js';
import { mixerB16 } from './models/mixer-b16.js';
import { bertBase } from './models/bert-base.js';
import { gpt2 } from './models/gpt2.js';
import { dlrm } from './models/dlrm.js';
import { dlrmCriteo } from './models/dlrm-criteo.js';

export const ZOO_DEFS: readonly ZooModelDef[] = [
  vgg16, resnet50, densenet121,
  mobilenetv2, efficientnetB0, convnextTiny,
  vitB16, deitS16, mixerB16,
  bertBase, gpt2, dlrm,
  // Memory-heavy, past protobuf's 2 GiB: written with external data (issue 15).
  dlrmCriteo,
];
