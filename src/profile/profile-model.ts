/** `profileModel`: the measured resource picture of one model — latency, memory, RD operators, layers. */
import { cpus, loadavg } from 'node:os';
import { median, watchLoad, MoparError } from '../core/index.js';
import { basename } from 'node:path';
import { sessionSource, openModel, randomInputs, analyzeSplits, SERVED_SESSION_CONFIG, type Graph, type InputRanges, type InputShapes } from '../graph/index.js';
import { measureAsHost, measureInChild } from './child.js';
import { crossings, cutPoints, layerRanges, type Crossing } from './layers.js';
import { attribute, profileKernels, type Attribution } from './latency.js';
import { defaultStopRule, spreadOf } from './stability.js';
import { measureBatchProfile } from './batch.js';
import { bytesOf, memoryTimeline, sharedWeights, type MemoryTimeline } from './memory.js';
import { rdOps, shares } from './rd.js';
import { predictPeakRssMB } from './rss-model.js';
import { cpuScaling } from './cpu-scaling-measure.js';
import { measureSplitParts } from './split-parts.js';
import { PROFILE_VERSION, type LayerProfile, type NodeProfile, type Profile } from './types.js';

export const MB = 2 ** 20;

/** RSS of Node + onnxruntime-node alone on this kind of machine, used only when RSS is not measured. */
export const DEFAULT_BASELINE_RSS_MB = 54;

/** Timed profiling runs after warm-up unless told otherwise: the one default (library, CLI, demo). */
export const DEFAULT_PROFILE_RUNS = 5;

/** How to profile a model: the one definition of the profiling options (CLI flags map onto it). */
export interface ProfileOptions {
  inputShapes?: InputShapes;
  /** Input dims that vary per request (`--input NAME=LO..HI`): `inputShapes` holds them at HI, where they are measured. */
  inputRanges?: InputRanges;
  /** Intra-op threads for the per-node and end-to-end measurements (default 1). */
  threads?: number;
  /** Timed runs after warm-up (default DEFAULT_PROFILE_RUNS). */
  runs?: number;
  warmup?: number;
  /** Measure latency at several CPU shares (default true). */
  cpuScaling?: boolean;
  /** Measure peak RSS in a separate process (default true). */
  measureRss?: boolean;
  attribution?: Attribution;
  /** Also measure latency at these batch sizes (needs a dynamic batch dim; profile/batch.ts). */
  batchSizes?: readonly number[];
  /** Time each layer's split parts beside the whole layer (profile/split-parts.ts; default true). */
  splitParts?: boolean;
  /**
   * Measures the served-call overhead through the real function host (the runtime is a later stage, so the caller
   * passes it: the CLI gives bench's measureServedOverhead). Absent: not measured (the planner assumes the
   * platform's hop.invokeMs).
   */
  measureOverhead?: (sizes: { inputBytes: number; replyBytes: number }) => Promise<{ invocationMs: number; requestMs: number; requestMsPerMB?: number; replyMsPerMB?: number }>;
  /** Called at the start of each step: a short label, step number and total. */
  onProgress?: (step: string, index: number, total: number) => void;
}

export async function profileModel(modelPath: string, opts: ProfileOptions = {}): Promise<Profile> {
  const started = performance.now();
  const watch = watchLoad();
  const threads = opts.threads ?? 1;
  const runs = opts.runs ?? DEFAULT_PROFILE_RUNS;
  const warmup = opts.warmup ?? Math.min(3, Math.max(1, Math.ceil(runs / 5)));
  if (!Number.isInteger(threads) || threads < 1) throw new MoparError(`threads must be an integer ≥ 1, got ${threads}`);
  if (!Number.isInteger(runs) || runs < 1) throw new MoparError(`runs must be an integer ≥ 1, got ${runs}`);
  const mode = opts.attribution ?? 'unoptimised-scaled';
  const doScaling = opts.cpuScaling ?? true;
  const doRss = opts.measureRss ?? true;
  const total = 4 + ((opts.splitParts ?? true) ? 1 : 0) + (opts.measureOverhead ? 1 : 0) + (doRss ? 1 : 0) + (doScaling ? 1 : 0) + (opts.batchSizes ? 1 : 0);
  let step = 0;
  const progress = (label: string) => opts.onProgress?.(label, ++step, total);

  progress('loading model and shapes');
  const { graph, inputShapes, loaded } = await openModel(modelPath, opts.inputShapes ?? {}, { ranges: opts.inputRanges });
  const feeds = randomInputs(graph, inputShapes, 1);

  progress(`end-to-end latency (at least ${runs} runs until the spread settles, ${threads} thread${threads > 1 ? "s" : ""}, as served)`);
  // Timed as a function host serves: a plain Node + onnxruntime process, the served session config (graph
  // SERVED_SESSION_CONFIG; arena and 'all' as the runtime's defaults), its malloc setting and thread count — the
  // profiler's own process measured 1.3× slower than such a child (ResNet-18: 44 vs 34 ms) —, repeated until the
  // spread settles (profile/stability.ts; `runs` is the least).
  const child = await measureAsHost(loaded.path, feeds, { threads, runs, warmup, stop: defaultStopRule(runs) });
  const e2e = {
    p50: median(child.runMs), samples: child.runMs, cpuP50: median(child.cpuMs ?? child.runMs),
    spread: spreadOf(child.runMs), converged: child.converged ?? false, minMs: Math.min(...child.runMs),
  };
  const measuredMs = e2e.p50;
  const measuredCpuMs = e2e.cpuP50;

  progress(`per-node latency (onnxruntime profiler, ${mode})`);
  // Profile the IR's own proto: it carries the node names we report (the loader names unnamed nodes).
  const source = sessionSource(graph.model);
  let kernels;
  try {
    kernels = await profileKernels(source.model, feeds, mode === 'unoptimised-scaled' ? 'disabled' : 'all', { threads, runs, warmup });
  } finally {
    source.dispose();
  }
  const times = attribute(graph, kernels, mode, measuredMs);

  progress('memory timeline and layers');
  const mem = memoryTimeline(graph);
  const nodes: NodeProfile[] = graph.nodes.map((n, i) => ({
    name: n.name, op: n.op, ms: times.ms.get(n.name) ?? 0,
    outputBytes: mem.nodes[i]!.outputBytes, paramBytes: mem.nodes[i]!.paramBytes,
    liveBytesAfter: mem.nodes[i]!.liveBytesAfter,
  }));
  const opShare = shares(nodes.map((n) => ({ key: n.op, value: n.ms })));
  const paramShare = shares(nodes.map((n) => ({ key: n.op, value: n.paramBytes })));
  const cross = crossings(graph);
  const cuts = cutPoints(graph, cross);
  const layers = buildLayers(graph, nodes, mem, cross, cuts);
  if (opts.splitParts ?? true) {
    progress('split parts (each layer\'s sub-slices timed beside the whole layer)');
    const shares = await measureSplitParts(graph, layers);
    layers.forEach((l, i) => l.splits.forEach((s, j) => { const at = shares[i]?.[j]; if (at) s.partShareAt = at; }));
  }
  const layerOfNode: number[] = [];
  layerRanges(nodes.length, cuts).forEach(([a, b], l) => { for (let i = a; i <= b; i++) layerOfNode[i] = l; });
  const shared = sharedWeights(graph, (i) => layerOfNode[i]!);

  let rss: { baselineMB: number; peakMB: number; loadPeakMB: number; steadyMB: number } | undefined;
  let defaultMallocPeakMB: number | undefined;
  if (doRss) {
    progress('peak RSS in separate processes (lean and default malloc)');
    rss = await measureAsHost(loaded.path, feeds, { threads, runs: 2, warmup: 0 });
    defaultMallocPeakMB = (await measureInChild(loaded.path, feeds, { threads, runs: 2, warmup: 0, sessionConfig: { ...SERVED_SESSION_CONFIG } })).peakMB;
  }
  const baselineRssMB = rss?.baselineMB ?? DEFAULT_BASELINE_RSS_MB;
  const weightsMB = mem.weightsBytes / MB;
  const peakActivationMB = mem.peakActivationBytes / MB;
  const weightsByOpMB: Record<string, number> = {};
  for (const n of nodes) weightsByOpMB[n.op] = (weightsByOpMB[n.op] ?? 0) + n.paramBytes / MB;
  const predictedPeakRssMB = predictPeakRssMB({
    baselineMB: baselineRssMB, weightsByOpMB, largestWeightMB: mem.largestWeightBytes / MB, peakActivationMB,
  });

  let scaling: Profile['cpuScaling'] = [];
  if (doScaling) {
    progress('CPU scaling (threads, cgroup quotas)');
    scaling = await cpuScaling(loaded.path, feeds, { runs, known: { threads, ms: measuredMs } });
  }

  let overhead: { invocationMs: number; requestMs: number; requestMsPerMB?: number; replyMsPerMB?: number } | undefined;
  if (opts.measureOverhead) {
    progress('served-call overhead (a tiny function through the real host)');
    // The byte probes at this model's own request and reply sizes (the last layer's outputs are the reply).
    overhead = await opts.measureOverhead({ inputBytes: Object.values(feeds).reduce((n, t) => n + (Array.isArray(t.data) ? 0 : t.data.byteLength), 0), replyBytes: layers.at(-1)?.cutBytesAfter ?? 0 });
  }

  let batch: Profile['batch'];
  if (opts.batchSizes) {
    progress(`batch latency (sizes ${opts.batchSizes.join(',')}, 1 and 2 threads)`);
    batch = await measureBatchProfile(loaded.path, graph, inputShapes, { sizes: opts.batchSizes, runs, peakActivationMB });
  }

  return {
    kind: 'mopar.profile',
    version: PROFILE_VERSION,
    ...(batch ? { batch } : {}),
    model: basename(loaded.path).replace(/\.onnx$/i, ''),
    modelHash: loaded.hash,
    inputShapes,
    ...(graph.ranges ? { inputRanges: graph.ranges } : {}),
    threads,
    runs: e2e.samples.length,
    measuredMs,
    measuredCpuMs,
    spread: Number(e2e.spread.toFixed(4)),
    converged: e2e.converged,
    minMs: e2e.minMs,
    ...(overhead ? { invocationOverheadMs: round3(overhead.invocationMs), requestOverheadMs: round3(overhead.requestMs) } : {}),
    ...(overhead?.requestMsPerMB !== undefined ? { requestMsPerMB: round3(overhead.requestMsPerMB) } : {}),
    ...(overhead?.replyMsPerMB !== undefined ? { replyMsPerMB: round3(overhead.replyMsPerMB) } : {}),
    peakRssMB: rss?.peakMB ?? predictedPeakRssMB,
    nodes,
    opShare,
    rdOps: rdOps(opShare, paramShare),
    paramShare,
    memory: {
      weightsMB,
      timelineMB: mem.nodes.map((m) => m.liveBytesAfter / MB),
      peakActivationMB,
      fluctuation: mem.fluctuation,
      layerFluctuation: fluctuationOf(layers.map((l) => l.paramMB + l.peakActivationMB)),
      baselineRssMB,
      predictedPeakRssMB,
      measuredPeakRssMB: rss?.peakMB ?? 0,
      rssMeasured: rss !== undefined,
      loadPeakRssMB: rss?.loadPeakMB,
      steadyRssMB: rss?.steadyMB,
      largestWeightMB: mem.largestWeightBytes / MB,
      measuredPeakRssDefaultMallocMB: defaultMallocPeakMB,
    },
    layers,
    ...(shared.length ? { sharedWeights: shared.map((w) => ({ ...w, mb: round3(w.mb) })) } : {}),
    cutPoints: cuts,
    cpuScaling: scaling,
    attribution: mode,
    attributionScale: times.scale,
    kernelSumMs: times.rawSumMs,
    profilingSeconds: (performance.now() - started) / 1000,
    loadAverage: loadavg()[0],
    load: watch.stop(),
    cpus: cpus().length,
    createdAt: new Date().toISOString(),
  };
}

function buildLayers(g: Graph, nodes: NodeProfile[], mem: MemoryTimeline, cross: Crossing[], cuts: number[]): LayerProfile[] {
  return layerRanges(nodes.length, cuts).map(([a, b], index) => {
    const ns = nodes.slice(a, b + 1);
    const ms = ns.reduce((s, n) => s + n.ms, 0);
    const share = shares(ns.map((n) => ({ key: n.op, value: n.ms })));
    const after = b < cross.length ? cross[b]! : { tensors: g.outputs, bytes: g.outputs.reduce((s, o) => s + bytesOf(g.tensors.get(o)), 0) };
    const names = ns.map((n) => n.name);
    return {
      index,
      nodes: names,
      ms,
      peakActivationMB: Math.max(...mem.nodes.slice(a, b + 1).map((m) => m.liveBytesDuring)) / MB,
      paramMB: ns.reduce((s, n) => s + n.paramBytes, 0) / MB,
      cutTensors: after.tensors,
      cutBytesAfter: after.bytes,
      dominantOp: Object.keys(share)[0] ?? ns[0]!.op,
      opShare: share,
      splits: analyzeSplits(g, names),
    };
  });
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function fluctuationOf(xs: number[]): number {
  const max = Math.max(0, ...xs);
  return max > 0 ? (max - Math.min(...xs)) / max : 0;
}
