/**
 * Which computing nodes read each weight. A weight reaches a node directly or through nodes that only fold
 * constants (GPT-2's head reads the token embedding through a Transpose), and both ways tie it to that node:
 * whoever runs the node must hold the weight. One scan for `inspect`'s counts and the profile's shared weights.
 */
import { constantNodes } from './fold.js';
import type { Graph } from './ir.js';

/** Weight name (initializer or Constant tensor) → positions in `g.nodes` of the computing nodes that read it. */
export function weightReaders(g: Graph): Map<string, number[]> {
  const folded = new Set(constantNodes(g).map((n) => n.name));
  const roots = new Map<string, Set<string>>();
  const rootsOf = (tensor: string): Set<string> => {
    let r = roots.get(tensor);
    if (r) return r;
    r = new Set();
    const t = g.tensors.get(tensor);
    if (t?.kind === 'initializer' || t?.kind === 'constant') r.add(tensor);
    else if (t?.producer && folded.has(t.producer)) for (const i of g.nodeByName.get(t.producer)!.inputs) for (const x of rootsOf(i)) r.add(x);
    roots.set(tensor, r);
    return r;
  };
  const readers = new Map<string, number[]>();
  g.nodes.forEach((n, at) => {
    if (n.isConstant || folded.has(n.name)) return;
    for (const i of n.inputs) for (const w of rootsOf(i)) {
      const list = readers.get(w) ?? [];
      if (list.at(-1) !== at) list.push(at);
      readers.set(w, list);
    }
  });
  return readers;
}
