/**
 * Fixing symbolic input dims: `--input NAME=d0,d1,...` overrides; otherwise a symbolic leading (batch-like)
 * dim becomes 1 and any other unresolved symbolic dim is an error naming the input and the dim.
 */
import { MoparError } from '../core/index.js';
import type { Graph } from './ir.js';

export type InputShapes = Record<string, number[]>;

/** Parses repeated `NAME=d0,d1,...` flags. */
export function parseInputFlags(flags: readonly string[] | undefined): InputShapes {
  const out: InputShapes = {};
  for (const f of flags ?? []) {
    const eq = f.lastIndexOf('=');
    if (eq <= 0) throw new MoparError(`--input expects NAME=d0,d1,... but got '${f}'`);
    const name = f.slice(0, eq);
    const dims = f.slice(eq + 1).split(',').map((s) => s.trim());
    const nums = dims.map(Number);
    if (dims.length === 0 || dims[0] === '' && dims.length === 1) {
      out[name] = []; // a scalar input
      continue;
    }
    if (nums.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new MoparError(`--input ${name}: dims must be positive integers, got '${f.slice(eq + 1)}'`);
    }
    out[name] = nums;
  }
  return out;
}

/** Concrete shapes for every graph input. */
export function resolveInputShapes(g: Graph, overrides: InputShapes = {}): InputShapes {
  for (const name of Object.keys(overrides)) {
    if (!g.inputs.includes(name)) {
      throw new MoparError(`--input names '${name}', which is not an input of the model (inputs: ${g.inputs.join(', ')})`);
    }
  }
  const out: InputShapes = {};
  for (const name of g.inputs) {
    const declared = g.tensors.get(name)?.shape;
    const given = overrides[name];
    if (given) {
      if (declared && declared.length !== given.length) {
        throw new MoparError(`--input ${name}: model declares rank ${declared.length} but ${given.length} dims were given`);
      }
      declared?.forEach((d, i) => {
        if (typeof d === 'number' && d > 0 && d !== given[i]) {
          throw new MoparError(`--input ${name}: dim ${i} is fixed to ${d} by the model, not ${given[i]}`);
        }
      });
      out[name] = given;
      continue;
    }
    if (!declared) throw new MoparError(`input '${name}' has no declared shape; fix it with --input ${name}=d0,d1,...`);
    out[name] = declared.map((d, i) => {
      if (typeof d === 'number' && d > 0) return d;
      if (i === 0) return 1;
      const what = typeof d === 'string' && !/^\?\d*$/.test(d) ? `symbolic dim ${i} ('${d}')` : `unnamed dynamic dim ${i}`;
      throw new MoparError(
        `input '${name}' has ${what}; fix it with --input ${name}=` +
        declared.map((x, j) => (j === 0 && typeof x !== 'number' ? 1 : typeof x === 'number' && x > 0 ? x : 'N')).join(','));
    });
  }
  return out;
}
