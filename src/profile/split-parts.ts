/**
 * What a layer's horizontal split really costs: each split option's slowest-by-work part timed beside the whole
 * layer, both alone at one thread (a part is planned at one thread's speed, plan/cost-model.ts PART_SPEED_VCPU),
 * as standalone models the way `mopar build` emits them (graph/split splitRun). The band model (graph/split) counts
 * work, as if a part of 1/k of the work took 1/k of the time; taken apart, BERT-base's 4-way head and sequence parts
 * ran 1.4–1.6× that and ViT-B/16's 1.3–1.6× (2026-12-07: smaller matrix products, the slicing of whole inputs,
 * a session run each). `partShareAt[k]` = the part's time ÷ the whole layer's, both measured here side by side
 * (runs alternate), so this process's own speed cancels out.
 */
import { median, Rng } from '../core/index.js';
import { extractModel, openSession, randomTensor, runSession, sessionSource, splitRun, SERVED_SESSION_CONFIG, type Feeds, type Graph, type ModelProto, type SplitOption } from '../graph/index.js';

/** Part counts measured; the cost model interpolates between them. */
export const MEASURED_PARTS = [2, 4] as const;
const RUNS = 7;
/** Layers faster than this alone are not worth a split's measurement (nor, in practice, a split). */
const MIN_LAYER_MS = 0.5;

/** The part the band model gives the most work: an interior one (edge parts of a spatial split carry less halo). */
export const timedPartIndex = (k: number): number => Math.floor((k - 1) / 2);

/** For each layer (by index) and split option (same order as the layer's `splits`): part share at each k measured. */
export async function measureSplitParts(g: Graph, layers: ReadonlyArray<{ nodes: string[]; ms: number; splits: SplitOption[] }>): Promise<Array<Array<Record<number, number> | undefined>>> {
  const out: Array<Array<Record<number, number> | undefined>> = [];
  for (const layer of layers) {
    const row: Array<Record<number, number> | undefined> = [];
    out.push(row);
    // A layer too quick to be worth splitting keeps the band model's work.
    if (layer.ms < MIN_LAYER_MS || layer.splits.length === 0) { row.push(...layer.splits.map(() => undefined)); continue; }
    // One session of the whole layer, timed beside each option's parts; a split that cannot be built or run is left unmeasured.
    const whole = await timer(extractModel(g, layer.nodes).model, g).catch(() => undefined);
    try {
      for (const s of layer.splits) row.push(whole && await measureOption(g, layer.nodes, s, whole).catch(() => undefined));
    } finally {
      await whole?.release();
    }
  }
  return out;
}

async function measureOption(g: Graph, nodes: string[], s: SplitOption, whole: Timer): Promise<Record<number, number> | undefined> {
  const share: Record<number, number> = {};
  for (const k of MEASURED_PARTS) {
    if (k > s.maxParts) break;
    const p = await timer(splitRun(g, nodes, { kind: s.kind, parts: k }).parts[timedPartIndex(k)]!.model, g);
    try {
      // Alternating runs: both see the same machine speed.
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS; i++) { a.push(await whole.time()); b.push(await p.time()); }
      share[k] = median(b) / median(a);
    } finally {
      await p.release();
    }
  }
  return Object.keys(share).length > 0 ? share : undefined;
}

interface Timer { time: () => Promise<number>; release: () => Promise<void> }

/** A session of `model` at one thread as hosts run it, warmed up; `time` times one run, ms. */
async function timer(model: ModelProto, g: Graph): Promise<Timer> {
  const source = sessionSource(model);
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    session = await openSession(source.model, { threads: 1, config: SERVED_SESSION_CONFIG });
    const rng = new Rng(7);
    const feeds: Feeds = {};
    for (const name of session.inputNames) {
      const t = g.tensors.get(name);
      const dims = (t?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
      feeds[name] = randomTensor(t?.dtype ?? 'float32', dims, rng, 2);
    }
    await runSession(session, feeds);
    const open = session;
    return {
      time: async () => { const t0 = performance.now(); await runSession(open, feeds); return performance.now() - t0; },
      release: async () => { try { await open.release(); } finally { source.dispose(); } },
    };
  } catch (err) {
    try { await session?.release(); } finally { source.dispose(); }
    throw err;
  }
}
