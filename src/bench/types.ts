/** The bench report: one row per model × platform × strategy, measured on the embedded runtime. */
import type { MachineLoad } from '../core/index.js';
import type { Composition, MeasuredAs } from './compose.js';

export interface MeasuredFunction {
  name: string;
  group: string;
  memoryMB: number;
  vcpu: number;
  /** Median duration per invocation (ms). */
  durationMs: number;
  peakRssMB: number;
}

export interface BenchRow {
  model: string;
  category: string;
  tiny: boolean;
  platform: string;
  strategy: string;
  functions: number;
  /** Functions that belong to a parallel group of more than one. */
  subSlices: number;
  planMs: number;
  sloMs: number;
  verify: { ok: boolean; maxRelErr: number; maxAbsErr: number };
  predicted: { latencyMs: number; costPerMillionUSD: number; efficiency: number };
  measured: {
    requests: number;
    errors: number;
    p50Ms: number;
    p95Ms: number;
    coldStartMs: number;
    /** From each function's measured duration; see `billedFrom`. */
    costPerMillionUSD: number;
    /**
     * Present on plans with parallel groups: their functions were billed from a pass that ran one function at a
     * time (each alone on its CPU quota, as on a platform), since parallel members share this machine's cores.
     */
    billedFrom?: 'one-at-a-time';
    /** The same plan billed from the parallel pass, where parallel members competed for the cores. */
    costSharedCoresPerMillionUSD?: number;
    /** `composed`: p50/p95 composed along the DAG from the one-at-a-time pass (more vCPU in parallel than cores). */
    measuredAs?: MeasuredAs;
    /** Plans with parallel functions: the composed latency; `validation` where they were also served concurrently. */
    composition?: Composition;
    /** Σ memory used × time / Σ memory allocated × time, over functions. */
    efficiency: number;
    /** Share of end-to-end latency spent outside function execution (hops, hand-offs). */
    commShare: number;
    functions: MeasuredFunction[];
  };
  /** Load while the cell was measured (core/load.ts); `loaded` cells have inflated timings. */
  load?: MachineLoad;
  /** When the cell was measured (a resumed run reuses cells measured earlier). */
  measuredAt?: string;
  /** Present when a cell failed: the row still appears, with the reason. */
  error?: string;
}

export interface PlatformSummary {
  /** geomean over models of unsplit cost / mopar cost (higher is better). */
  costRatioGeomean: number;
  /** geomean over models of mopar p50 / unsplit p50 (lower is better). */
  latencyRatioGeomean: number;
  /** Mean measured resource efficiency of mopar plans. */
  efficiencyMean: number;
  /** Models on which mopar was no more expensive than every baseline measured. */
  cheapestModels: number;
  models: number;
}

/**
 * How far apart two measurements of the very same deployment land on this machine: pairs of cells (same model and
 * platform, different strategies) that deployed identical functions. Differences below this are not resolvable.
 */
export interface NoiseFloor {
  pairs: number;
  /** Relative difference |a − b| / min(a, b) of measured cost per million requests. */
  costDiffMedian: number;
  costDiffMax: number;
  /** The same for measured p50 latency. */
  p50DiffMedian: number;
  p50DiffMax: number;
}

export interface BenchReport {
  kind: 'mopar.bench';
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; onnxruntime: string; cgroups: boolean };
  config: { models: string[]; platforms: string[]; strategies: string[]; quick: boolean; warmRequests: number; coldRequests: number };
  summary: Record<string, PlatformSummary>;
  /** Absent when no two cells deployed the same functions. */
  noise?: NoiseFloor;
  rows: BenchRow[];
}
