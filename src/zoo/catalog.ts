/** The zoo's catalogue: model names and facts, and building or writing a zoo model (tiny or full size, seeded weights). */
import { MoparError } from '../core/index.js';
import type { ModelProto } from '../graph/index.js';
import { Net } from './net.js';
import { ZOO_DEFS } from './registry.js';
import type { ZooCategory, ZooModelDef } from './types.js';
import { materialize } from './weights.js';
import { streamModel } from './writer.js';
import { makeBatchDynamic, type ZooBatch } from './dynamic.js';

export interface ZooBuildOptions {
  tiny?: boolean; seed?: number;
  /** 'dynamic': a symbolic leading batch dim (see dynamic.ts); 1: every shape static. Default: defaultZooBatch(tiny). */
  batch?: ZooBatch;
}

/**
 * The batch a zoo model gets when none is asked for. Full size: 'dynamic', as exporters write models
 * (`dynamic_axes`), so a partition built from it serves any batch; it still profiles and plans at batch 1.
 * Tiny: 1, so that the test suite's models keep exercising the static-shape path every stage must also handle
 * (exports without `dynamic_axes`); `--tiny --batch dynamic` gives the dynamic one (test/zoo/dynamic-batch.test.ts).
 */
export function defaultZooBatch(tiny = false): ZooBatch {
  return tiny ? 1 : 'dynamic';
}

export interface ZooModelInfo {
  name: string;
  category: ZooCategory;
  /** Parameters of the full-size graph (initializer elements, as `mopar inspect` counts them). */
  params: number;
  referenceParams: number;
  source: string;
  io: string;
}

export const ZOO_NAMES: readonly string[] = ZOO_DEFS.map((d) => d.name);

export const DEFAULT_SEED = 0;

function def(name: string): ZooModelDef {
  const d = ZOO_DEFS.find((m) => m.name === name);
  if (!d) throw new MoparError(`unknown zoo model '${name}'; known models: ${ZOO_NAMES.join(', ')}`);
  return d;
}

/** The graph with lazy (not yet generated) weights: cheap even at full size. */
export function zooNet(name: string, tiny = false, batch: ZooBatch = defaultZooBatch(tiny)): Net {
  const d = def(name);
  const net = new Net(tiny ? `${d.name}-tiny` : d.name);
  d.build(net, tiny);
  if (batch === 'dynamic') makeBatchDynamic(net);
  else if (batch !== 1) throw new MoparError(`batch must be 1 or 'dynamic', got '${String(batch)}'`);
  return net;
}

/** Parameter count of the model as written by default (defaultZooBatch), without generating any weight. */
export function countZooParams(name: string, tiny = false): number {
  return zooNet(name, tiny).params();
}

let infos: ZooModelInfo[] | undefined;

/** Every zoo model with its full-size parameter count (computed from the graph, weights not built). */
export function zooModels(): ZooModelInfo[] {
  infos ??= ZOO_DEFS.map((d) => ({
    name: d.name, category: d.category, params: countZooParams(d.name), referenceParams: d.referenceParams,
    source: d.source, io: d.io,
  }));
  return infos.map((i) => ({ ...i }));
}

/** Name, category and parameter count of each model (counts computed lazily on first access). */
export const ZOO_MODELS: readonly ZooModelInfo[] = new Proxy([] as ZooModelInfo[], {
  get(_t, prop) {
    const list = zooModels();
    const v = Reflect.get(list, prop);
    return typeof v === 'function' ? v.bind(list) : v;
  },
  has: (_t, prop) => Reflect.has(zooModels(), prop),
  ownKeys: () => Reflect.ownKeys(zooModels()),
  getOwnPropertyDescriptor: (_t, prop) => Reflect.getOwnPropertyDescriptor(zooModels(), prop),
});

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new MoparError(`seed must be an integer in 0..2^32-1, got ${seed}`);
  return seed;
}

/** The model in memory with all weights generated (fine for tiny models; a full VGG-16 holds 550 MB). */
export function buildZooModel(name: string, opts: ZooBuildOptions = {}): ModelProto {
  const seed = checkSeed(opts.seed ?? DEFAULT_SEED);
  const net = zooNet(name, opts.tiny, opts.batch);
  const byName = new Map(net.weights.map((w) => [w.name, w]));
  for (const t of net.gb.initializers) {
    const w = byName.get(t.name);
    if (w) { const v = materialize(w, seed); t.rawData = new Uint8Array(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength); }
  }
  return net.skeleton();
}

export interface ZooWriteResult {
  name: string; file: string;
  /** Bytes written: the .onnx plus its external data file, if any. */
  bytes: number;
  /** The external data file (`<file>.data`) of models written with external data. */
  dataFile?: string;
  params: number; ms: number;
}

/** Writes the model to `file`, streaming weights (one chunk in memory at a time); external data where the model needs it. */
export function writeZooModel(name: string, file: string, opts: ZooBuildOptions = {}): ZooWriteResult {
  const seed = checkSeed(opts.seed ?? DEFAULT_SEED);
  const t0 = performance.now();
  const net = zooNet(name, opts.tiny, opts.batch);
  const r = streamModel(net.skeleton(), net.weights, seed, file, { externalData: def(name).externalData });
  return { name, file, bytes: r.bytes, ...(r.dataFile ? { dataFile: r.dataFile } : {}), params: net.params(), ms: performance.now() - t0 };
}
