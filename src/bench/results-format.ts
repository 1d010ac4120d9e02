/** Formatting shared by the README results renderers: the same quantity always reads the same way. */
import { LOADED_RATIO } from '../core/index.js';

export const f = (x: number, d = 2) => x.toFixed(d);
export const pc = (x: number, d = 0) => `${(x * 100).toFixed(d)} %`;
/** "a–b" with both ends at d decimals; one value when they round the same. */
export function range(xs: number[], d = 2, unit = ''): string {
  const lo = f(Math.min(...xs), d);
  const hi = f(Math.max(...xs), d);
  return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
}
export function rangePc(xs: number[], d = 0): string {
  const lo = (Math.min(...xs) * 100).toFixed(d);
  const hi = (Math.max(...xs) * 100).toFixed(d);
  return lo === hi ? `${lo} %` : `${lo}–${hi} %`;
}
export const sec = (ms: number) => f(ms / 1000, 2);
export const names = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
export const MODEL_NAMES: Record<string, string> = {
  vgg16: 'VGG-16', resnet50: 'ResNet-50', densenet121: 'DenseNet-121', mobilenetv2: 'MobileNetV2', 'efficientnet-b0': 'EfficientNet-B0',
  'convnext-tiny': 'ConvNeXt-T', 'vit-b16': 'ViT-B/16', 'deit-s16': 'DeiT-S', 'mixer-b16': 'Mixer', 'bert-base': 'BERT', gpt2: 'GPT-2', dlrm: 'DLRM',
};
export const PLATFORM_NAMES: Record<string, string> = { 'aws-lambda': 'Lambda', 'gcp-cloud-run': 'Cloud Run', openfaas: 'OpenFaaS', 'alibaba-fc': 'Function Compute' };
export const mn = (m: string) => MODEL_NAMES[m] ?? m;
export const pn = (p: string) => PLATFORM_NAMES[p] ?? p;

/**
 * How the machine was while measuring, from its load average and cores: the same rule as core/load.ts (loaded
 * above LOADED_RATIO per core), stated with the figures so a reader can judge.
 */
export function loadPhrase(loads: number[], cores: number, machine = 'machine'): string {
  const hi = Math.max(...loads);
  const figures = loads.length > 1 ? `load average ${range(loads, 2)}` : `load average ${f(hi, 2)}`;
  return hi / cores > LOADED_RATIO
    ? `on the loaded ${cores}-core ${machine} (${figures}: timings inflated)`
    : `on the ${cores}-core ${machine}, not otherwise loaded (${figures})`;
}

export { measuredOk } from './sweep-promises.js';
