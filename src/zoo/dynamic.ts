/**
 * `--batch dynamic`: the zoo writes its graphs at batch 1 (every layer sizes itself from static shapes); this
 * rewrite makes the batch symbolic afterwards, the way `torch.onnx.export(dynamic_axes=…)` output looks:
 * - graph inputs and outputs get dim 0 = 'batch';
 * - a Reshape whose target starts with the batch keeps it with 0 (copy the input's dim 0); one that folds the
 *   batch into its first dim (GPT-2's [seq, D] before the LM head) or unfolds it gets −1 there instead;
 * - a weight concatenated to activations along a later axis (ViT's class token [1, 1, D]) is first expanded to
 *   the activations' batch (Shape → Slice → Concat → Expand).
 * Everything else in the zoo broadcasts over the batch already (masks, position embeddings: [1, …]).
 */
import { MoparError } from '../core/index.js';
import type { NodeProto } from '../graph/index.js';
import type { Net } from './net.js';

export const BATCH_DIM = 'batch';

export type ZooBatch = 1 | 'dynamic';

export function makeBatchDynamic(net: Net): void {
  const gb = net.gb;
  const shapeOf = (name: string): number[] => {
    const s = net.shapes.get(name);
    if (!s) throw new MoparError(`zoo: no static shape recorded for '${name}'`);
    return s;
  };
  const initializer = new Map(gb.initializers.map((t) => [t.name, t]));
  for (const vi of [...gb.inputs, ...gb.outputs]) {
    const tt = vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
    const d0 = tt?.shape?.dim[0];
    if (!d0 || d0.value.case !== 'dimValue' || d0.value.value !== 1n) {
      throw new MoparError(`zoo: '${vi.name}' has no leading batch dim of 1 to make dynamic`);
    }
    d0.value = { case: 'dimParam', value: BATCH_DIM };
  }
  const original = gb.nodes.splice(0);
  const rewritten: NodeProto[] = [];
  // New nodes are appended to gb.nodes by the builder; move them in front of the node that needs them.
  const take = () => rewritten.push(...gb.nodes.splice(0));
  const targets = new Map<string, string>();
  for (const node of original) {
    if (node.opType === 'Reshape') {
      const target = initializer.get(node.input[1]!);
      if (!target) throw new MoparError(`zoo: Reshape '${node.name}' has no constant target`);
      const dims = Array.from(new BigInt64Array(new Uint8Array(target.rawData).buffer), Number);
      const from = shapeOf(node.input[0]!);
      const out = [...dims];
      out[0] = from[0] === 1 && dims[0] === 1 ? 0 : -1;
      if (out[0] === -1 && dims.slice(1).includes(-1)) throw new MoparError(`zoo: Reshape '${node.name}' already infers a dim`);
      const key = out.join(',');
      let name = targets.get(key);
      if (!name) { name = gb.init(`${node.input[1]}.dynamic`, 'int64', [out.length], BigInt64Array.from(out.map(BigInt))); targets.set(key, name); }
      node.input[1] = name;
    }
    if (node.opType === 'Concat') {
      const axis = Number(node.attribute.find((a) => a.name === 'axis')?.i ?? 0n);
      const activation = node.input.find((i) => !initializer.has(i));
      if (axis !== 0 && activation) {
        node.input.forEach((i, j) => {
          const w = initializer.get(i);
          if (!w || Number(w.dims[0]) !== 1) return;
          const rank = w.dims.length;
          const batch = gb.node('Slice', [gb.node('Shape', [activation]), ints(net, [0]), ints(net, [1])]);
          const shape = gb.node('Concat', [batch, ints(net, Array(rank - 1).fill(1))], { axis: 0 });
          node.input[j] = gb.node('Expand', [i, shape], {}, { name: `${node.name}.expand_batch` });
          take();
        });
      }
    }
    rewritten.push(node);
  }
  gb.nodes.push(...rewritten);
  // Targets now replaced by their dynamic copies are read by nothing: drop them (parameter counts stay exact).
  const read = new Set(gb.nodes.flatMap((n) => n.input));
  const kept = gb.initializers.filter((t) => read.has(t.name));
  gb.initializers.splice(0, gb.initializers.length, ...kept);
}

function ints(net: Net, values: number[]): string {
  return net.ints(values, 'batch_shape').name;
}
