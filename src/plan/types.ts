/**
 * Plan: which functions a model becomes, each with its nodes and configuration. Written by `mopar plan -o`,
 * read by `mopar build`. Plain data.
 */
import type { MachineLoad } from '../core/index.js';
import type { InputRanges, InputShapes, split } from '../graph/index.js';

/** How a sub-slice computes its disjoint part of the slice's output. */
export interface SplitSpec {
  kind: split.SplitKind;
  /** This sub-slice's index and the number of sub-slices in its group. */
  index: number;
  parts: number;
}

export interface PlanFunction {
  name: string;
  memoryMB: number;
  vcpu: number;
  /** Original node names this function computes (for sub-slices: the slice's nodes). */
  nodes: string[];
  /** Sub-slices that run in parallel share a group; a plain slice is a group of one. */
  group: string;
  /** Inclusive layer range [first, last] of the profile's layers. */
  layers: [number, number];
  split?: SplitSpec;
  /**
   * Per invocation of this function: compute ms, USD per million requests, memory need (MB, before rounding);
   * billedMs adds decompress/download time; handInMs is the hand-off into it (on the critical path).
   */
  predicted: {
    ms: number; costPerMillionUSD: number; peakMB: number; billedMs?: number; handInMs?: number;
    /** This function's cold start: sandbox + runtime init + weights fetch + session load (docs/cold-starts.md). */
    coldStartMs?: number;
  };
  /** Resource vector that made these layers similar (shown to people). */
  similarity?: { dominantOp: string; msPerLayer: number; paramMB: number; peakActivationMB: number };
}

/**
 * A tensor crossing a cut. `from` is the producing function, its group when a parallel group produced it, or
 * '$input'; `to` lists the functions after the cut up to its last consumer (a superset of the real consumers:
 * the profile records which tensors cross each cut, not who reads them) and '$output' for model outputs.
 */
/** How a tensor crossing a cut travels: the one spelling (plan edges, manifest edges, the runtime's hand-offs). */
export type Transport = 'inline' | 'compressed' | 'shm' | 'object-store';

export interface PlanEdge {
  tensor: string;
  from: string;
  to: string[];
  bytes: number;
  transport: Transport;
}

export interface Plan {
  kind: 'mopar.plan';
  version: 1;
  model: string;
  modelHash: string;
  inputShapes: InputShapes;
  /** Dims given as ranges (`--input NAME=LO..HI`): everything is planned at HI (`inputShapes`). Absent: none. */
  inputRanges?: InputRanges;
  /**
   * The largest batch a request may carry (a dynamic-batch model): every function's memoryMB is sized for it.
   * Absent: the model's batch is fixed, or the plan predates the limit (sized for `inputShapes` alone).
   */
  maxBatch?: number;
  strategy: string;
  platform: string;
  sloMs: number;
  functions: PlanFunction[];
  edges: PlanEdge[];
  predicted: {
    /** Median latency of one client's back-to-back requests (a fractional quota that cannot keep up bounds it). */
    latencyMs: number; costPerMillionUSD: number; efficiency: number;
    /**
     * Of costPerMillionUSD, what the deployment's entry (and on AWS Lambda its Step Functions Express execution)
     * costs: a deployment of more than one function runs one for each whole request (plan/orchestration.ts).
     * Present only for plans of more than one function.
     */
    entryCostPerMillionUSD?: number;
    /** Tail: the median plus one throttled CFS period where a function runs under a fractional quota (plan/quota-model.ts). */
    p99Ms?: number;
    /**
     * The first request after idle (no instance anywhere), every function started when it enters (proactive
     * warm-up); and with each function started only when its input arrives (docs/cold-starts.md).
     */
    coldLatencyMs?: number;
    coldReactiveMs?: number;
  };
  /** The unsplit function under the same platform model, for comparison. */
  unsplit: { latencyMs: number; costPerMillionUSD: number; memoryMB: number; vcpu: number; sloMet?: boolean; coldLatencyMs?: number };
  /** The cold-request bound asked for (--cold-slo-ms) and whether predicted.coldLatencyMs meets it. */
  coldSloMs?: number;
  coldSloMet?: boolean;
  planMs: number;
  /** False only when the plan was asked for with allowSloMiss and cannot meet the SLO (its fastest plan). */
  sloMet?: boolean;
  /** Number of cut candidates the DP used (profile layers, merged for very deep models). */
  units?: number;
  /** Load while the profile this plan rests on was measured (core/load.ts). */
  profileLoad?: MachineLoad;
  /** Remarks on how the plan was made (merged layers, a missed SLO), for people. */
  notes?: string[];
  /** The best plan of each strategy at this plan's SLO, preferred first (planPartition with `alternatives`). */
  alternatives?: PlanAlternative[];
  /** One sentence on why this plan wins over the alternatives. */
  why?: string;
}

/** Another strategy's best plan at the same SLO, summarised. */
export interface PlanAlternative {
  strategy: string;
  functions: number;
  groups: number;
  /** False: no plan of this strategy meets the SLO; its fastest plan is summarised. */
  sloMet: boolean;
  /** `entryCostPerMillionUSD`: the part of the cost its entry takes (more than one function; as Plan's). */
  predicted: { latencyMs: number; costPerMillionUSD: number; entryCostPerMillionUSD?: number; coldLatencyMs?: number };
  /** Whether its cold latency meets the cold SLO (only when one was asked for). */
  coldSloMet?: boolean;
  /** Cuts between consecutive groups and the bytes that cross them per request. */
  handOffs: { count: number; bytes: number };
  /** Configured MB × billed seconds per request, summed over functions. */
  memoryMBs: number;
}
