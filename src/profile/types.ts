/**
 * Profile: the measured resource picture of one model at fixed input shapes. Written by `mopar profile -o`,
 * read by `mopar plan --profile`. Plain data; keyed by the model's content hash so that a stale one is rejected.
 */
import type { MachineLoad } from '../core/index.js';
import type { InputRanges, InputShapes, SplitOption } from '../graph/index.js';
import type { BatchProfile } from './batch-types.js';

/**
 * Version 2: layers never cut between operators onnxruntime fuses (profile/layers.ts). Version 3: optional
 * `batch` (latency vs batch size). Version 4: nodes computed from constants alone are folded into weights when
 * a model is opened (graph/fold.ts), so a version 2 or 3 profile may name nodes that no longer exist.
 */
export const PROFILE_VERSION = 4;

export interface NodeProfile {
  name: string;
  op: string;
  /** Time attributed to this original node (ms, median over runs, at `threads`). */
  ms: number;
  /** Bytes of the tensors it produces. */
  outputBytes: number;
  /** Bytes of the weights (initializers and Constant tensors) it reads and owns first. */
  paramBytes: number;
  /** Activation bytes alive right after this node ran (liveness over the topological order). */
  liveBytesAfter: number;
}

/** A run of consecutive nodes between two cut points: the unit the partitioner cuts at. */
export interface LayerProfile {
  index: number;
  /** Node names, in topological order. */
  nodes: string[];
  ms: number;
  /** Peak of (activations alive) while this layer runs, MB. */
  peakActivationMB: number;
  paramMB: number;
  /** Tensors that cross the cut after this layer (consumed later or graph outputs), and their total bytes. */
  cutTensors: string[];
  cutBytesAfter: number;
  /** Operator type with the largest share of this layer's time. */
  dominantOp: string;
  /** Share of time per op type within the layer. */
  opShare: Record<string, number>;
  /** Ways this layer alone can be split into parallel sub-slices (graph/split `analyzeSplits`). */
  splits: SplitOption[];
}

/** Latency of the whole model (or a slice) at one CPU share. */
export interface CpuScalingPoint {
  /** CPU share in vCPU (0.25 = a quarter of one core). */
  vcpu: number;
  threads: number;
  ms: number;
  /** How the share was imposed: onnxruntime threads, or a cgroup CPU quota. */
  method: 'threads' | 'cgroup-quota';
}

export interface MemoryProfile {
  weightsMB: number;
  /** Activation bytes alive after each node, MB (same order as `nodes`). */
  timelineMB: number[];
  peakActivationMB: number;
  /** (max − min) / max of (weights + live activations) over the run, as the MOPAR paper reports it. */
  fluctuation: number;
  /**
   * (max − min) / max over layers of what each layer alone needs (its weights + its peak activations): the
   * footprint a per-layer function would see, which varies far more than the whole-model timeline.
   */
  layerFluctuation?: number;
  /** RSS of Node + onnxruntime with no model loaded, MB. */
  baselineRssMB: number;
  /** Our model of peak RSS for a process that loads and runs the whole model. */
  predictedPeakRssMB: number;
  /**
   * Measured peak RSS of a separate process that loaded and ran the model (0 when not measured), with glibc's
   * mmap threshold fixed (profile/child.ts LEAN_MALLOC_ENV): deterministic, and what function hosts should use.
   */
  measuredPeakRssMB: number;
  /** False when RSS was not measured (then `peakRssMB` is the prediction and the baseline a default). */
  rssMeasured?: boolean;
  /** Measured peak RSS right after the session was created (load-time copies), MB. */
  loadPeakRssMB?: number;
  /** Measured RSS after the runs (steady footprint), MB. */
  steadyRssMB?: number;
  /** Same, with glibc's default (dynamic) mmap threshold: higher and varies from run to run. */
  measuredPeakRssDefaultMallocMB?: number;
  /** The largest single weight tensor, MB (one transient load-time copy of it is part of the prediction). */
  largestWeightMB?: number;
}

export interface Profile {
  kind: 'mopar.profile';
  version: typeof PROFILE_VERSION;
  model: string;
  modelHash: string;
  inputShapes: InputShapes;
  /** Dims given as ranges (`--input NAME=LO..HI`); `inputShapes` holds them at HI. Absent: none. */
  inputRanges?: InputRanges;
  threads: number;
  runs: number;
  /** End-to-end latency of the optimised session (p50, ms) at `threads`. */
  measuredMs: number;
  /**
   * CPU time per run of the same session (p50, ms, all threads): equals measuredMs × threads on an idle machine
   * with full parallelism; on a busy shared machine it is the better estimate of uncontended latency at 1 thread.
   */
  measuredCpuMs?: number;
  /**
   * Spread of the timed runs, (p90 − p10) / p50, and whether it came within SPREAD_BOUND before the run limit
   * (profile/stability.ts). Absent: a profile from before issue 27.
   */
  spread?: number;
  converged?: boolean;
  /** Fastest timed run of the end-to-end measurement (ms): the work at full speed, least disturbed (the floor's basis). */
  minMs?: number;
  /**
   * What a served function call costs besides its work, ms (host decode/encode, IPC, gateway codecs): measured on
   * a tiny function through the real host where the caller could (the CLI), else absent (the planner then
   * assumes the platform's hop.invokeMs).
   */
  invocationOverheadMs?: number;
  /** A served request with one tiny function call, end to end (client, HTTP, gateway, IPC, host), ms. */
  requestOverheadMs?: number;
  /** What each MB of a request's input adds to it (HTTP, gateway, shared memory, host decode), ms. */
  requestMsPerMB?: number;
  /** What each MB of its reply (the model's outputs) adds (host encode, shared memory, gateway, HTTP), ms. Absent: charged at requestMsPerMB. */
  replyMsPerMB?: number;
  /** Same as memory.measuredPeakRssMB (contract field). */
  peakRssMB: number;
  nodes: NodeProfile[];
  /** Fraction of time per operator type (sums to 1). */
  opShare: Record<string, number>;
  /** Resource-dominant operator types (time share ≥ 0.1 or weight share ≥ 0.25). */
  rdOps: string[];
  /** Fraction of weight bytes per operator type (the node that first reads a weight owns it). */
  paramShare?: Record<string, number>;
  memory: MemoryProfile;
  layers: LayerProfile[];
  /**
   * Weights read by more than one layer (tied embeddings: GPT-2's token embedding is also its output head), with
   * the layers that read them in order. Its MB count in `paramMB` of the first only; a slice that holds a later
   * reader but not the first stores and fetches it again. Absent: none (or a profile from before the field).
   */
  sharedWeights?: Array<{ name: string; mb: number; layers: number[] }>;
  /** Positions p in `nodes` after which the model may be cut (layer boundaries). */
  cutPoints?: number[];
  /** Whole-model latency at several CPU shares; the planner interpolates this curve. */
  cpuScaling: CpuScalingPoint[];
  /** How per-node times were attributed (e.g. 'unoptimised-scaled'). */
  attribution: string;
  /** Factor that scaled summed kernel medians to `measuredMs`. */
  attributionScale?: number;
  /** Sum of per-node kernel medians before scaling, ms. */
  kernelSumMs?: number;
  profilingSeconds: number;
  /** 1-minute load average and CPU count when profiled: timings on a busy machine are inflated (see measuredCpuMs). */
  loadAverage?: number;
  cpus?: number;
  /** Highest load average seen while profiling and whether that makes the timings suspect (core/load.ts). */
  load?: MachineLoad;
  /** Latency and memory vs batch size (plan/batching); absent = not measured (per-item time assumed flat). */
  batch?: BatchProfile;
  createdAt: string;
}
