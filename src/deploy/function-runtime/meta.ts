/** TensorMeta (what the Open Inference Protocol module validates against) from the specs in a config file. */
import type { TensorMeta } from '../../runtime/index.js';
import type { TensorSpec } from '../../partition/index.js';

export function tensorMetas(names: readonly string[], specs: Record<string, TensorSpec>): TensorMeta[] {
  return names.map((name) => {
    const s = specs[name];
    if (!s) throw new Error(`no dtype/shape for tensor '${name}' in the function's config`);
    return { name, dtype: s.dtype, shape: s.shape };
  });
}
