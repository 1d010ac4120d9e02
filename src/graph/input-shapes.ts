/**
 * Fixing symbolic input dims: `--input NAME=d0,d1,...` overrides; otherwise a symbolic leading (batch-like)
 * dim becomes 1 and any other unresolved symbolic dim is an error naming the input and the dim.
 * A dim given as a range `LO..HI` (issue 31) stays symbolic in every function file: the model is profiled,
 * planned and sized at HI (the concrete shape here), and a request anywhere in [LO, HI] is served.
 */
import { MoparError } from '../core/index.js';
import type { Graph } from './ir.js';

export type InputShapes = Record<string, number[]>;

/** An inclusive range [LO, HI] of one dim. */
export type DimRange = [number, number];
/** Per input that has a ranged dim: one entry per dim, null where the dim is not a range. */
export type InputRanges = Record<string, Array<DimRange | null>>;

const RANGE = /^(\d+)\.\.(\d+)$/;

/** Parses repeated `NAME=d0,d1,...` flags; a range dim `LO..HI` is taken at HI (where it is profiled and sized). */
export function parseInputFlags(flags: readonly string[] | undefined): InputShapes {
  return parseInputSpec(flags).shapes;
}

/** The ranged dims of repeated `--input` flags (inputs without a range are left out). */
export function parseInputRanges(flags: readonly string[] | undefined): InputRanges {
  return parseInputSpec(flags).ranges;
}

function parseInputSpec(flags: readonly string[] | undefined): { shapes: InputShapes; ranges: InputRanges } {
  const out: InputShapes = {};
  const ranges: InputRanges = {};
  for (const f of flags ?? []) {
    const eq = f.lastIndexOf('=');
    if (eq <= 0) throw new MoparError(`--input expects NAME=d0,d1,... but got '${f}'`);
    const name = f.slice(0, eq);
    const dims = f.slice(eq + 1).split(',').map((s) => s.trim());
    if (dims.length === 0 || dims[0] === '' && dims.length === 1) {
      out[name] = []; // a scalar input
      continue;
    }
    const r = dims.map((d): DimRange | null => {
      const m = RANGE.exec(d);
      if (!m) return null;
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      if (lo < 1 || hi < lo) throw new MoparError(`--input ${name}: a range is LO..HI with 1 ≤ LO ≤ HI, got '${d}'`);
      return [lo, hi];
    });
    const nums = dims.map((d, i) => r[i]?.[1] ?? Number(d));
    if (nums.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new MoparError(`--input ${name}: dims must be positive integers, got '${f.slice(eq + 1)}' (a dim that varies per request is a range LO..HI)`);
    }
    out[name] = nums;
    if (r.some((x) => x)) ranges[name] = r;
    else delete ranges[name];
  }
  return { shapes: out, ranges };
}

/**
 * Checks ranges against the model: each names an input, matches its rank and sits on a dim the model leaves
 * symbolic (a fixed dim cannot vary, whatever the flag says).
 */
export function checkInputRanges(g: Graph, ranges: InputRanges): void {
  for (const [name, rs] of Object.entries(ranges)) {
    const declared = g.tensors.get(name)?.shape;
    if (!g.inputs.includes(name)) throw new MoparError(`--input names '${name}', which is not an input of the model (inputs: ${g.inputs.join(', ')})`);
    if (declared && declared.length !== rs.length) throw new MoparError(`--input ${name}: model declares rank ${declared.length} but ${rs.length} dims were given`);
    rs.forEach((r, i) => {
      const d = declared?.[i];
      if (r && typeof d === 'number' && d > 0) throw new MoparError(`--input ${name}: dim ${i} is fixed to ${d} by the model; it cannot take the range ${r[0]}..${r[1]}`);
    });
  }
}

/**
 * The ranged dims that vary beyond a dynamic batch (whose range only sets the max batch): LO < HI, and not dim 0
 * of a graph whose batch is dynamic. Valid once shapes are inferred (Graph.batch).
 */
export function varyingDims(g: Graph): Array<{ input: string; dim: number; range: DimRange }> {
  return Object.entries(g.ranges ?? {}).flatMap(([input, rs]) => rs.flatMap((r, dim) =>
    (r && r[0] < r[1] && !(dim === 0 && g.batch?.dynamic) ? [{ input, dim, range: r }] : [])));
}

/** `LO..HI`, as the flag and the error messages write a range. */
export const rangeText = (r: DimRange): string => `${r[0]}..${r[1]}`;

/**
 * Why `dims` of input `name` are outside the ranges the model was partitioned for (undefined: inside). One
 * message for serve, the deployed entry and verify.
 */
export function outsideRange(name: string, dims: readonly number[], ranges: InputRanges | undefined): string | undefined {
  const rs = ranges?.[name];
  if (!rs) return undefined;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const d = dims[i];
    if (r && d !== undefined && (d < r[0] || d > r[1])) {
      return `input '${name}' dim ${i} is ${d}, outside the range ${rangeText(r)} this model was partitioned for`;
    }
  }
  return undefined;
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
