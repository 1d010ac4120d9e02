/**
 * Synthetic profiles, made from layer specs without a model: the planner reads only the Profile record, so these
 * exercise it fully (planner tests; benches that bound plans on made-up models, bench/split-bound.ts).
 */
import { Rng } from '../core/index.js';
import type { SplitOption } from '../graph/index.js';
import { PROFILE_VERSION, type CpuScalingPoint, type LayerProfile, type Profile } from './types.js';

export interface SyntheticLayer { ms: number; paramMB: number; actMB: number; cutBytes: number; op?: string; splits?: SplitOption[] }

export const SYNTHETIC_CHANNEL_SPLIT: SplitOption = { kind: 'channel', maxParts: 8, weightsFractionPerPart: 'inverse', overheadAt2: 0.05 };

/** Whole-model ms at several vCPU shares for a model that runs `ms1` at 1 vCPU and scales with threads to 2. */
export function syntheticScaling(ms1: number, speedupAt2 = 1.8): CpuScalingPoint[] {
  return [
    { vcpu: 0.25, threads: 1, ms: ms1 * 4, method: 'cgroup-quota' },
    { vcpu: 0.5, threads: 1, ms: ms1 * 2, method: 'cgroup-quota' },
    { vcpu: 1, threads: 1, ms: ms1, method: 'threads' },
    { vcpu: 2, threads: 2, ms: ms1 / speedupAt2, method: 'threads' },
  ];
}

export function syntheticProfile(specs: SyntheticLayer[], opts: { model?: string; scaling?: CpuScalingPoint[]; baselineMB?: number } = {}): Profile {
  const measuredMs = specs.reduce((s, l) => s + l.ms, 0);
  const layers: LayerProfile[] = specs.map((l, i) => ({
    index: i,
    nodes: [`n${i}a`, `n${i}b`],
    ms: l.ms,
    peakActivationMB: l.actMB,
    paramMB: l.paramMB,
    cutTensors: i < specs.length - 1 ? [`t${i}`] : ['out'],
    cutBytesAfter: l.cutBytes,
    dominantOp: l.op ?? 'Conv',
    opShare: { [l.op ?? 'Conv']: 1 },
    splits: l.splits ?? [],
  }));
  const weightsMB = specs.reduce((s, l) => s + l.paramMB, 0);
  const peakAct = Math.max(...specs.map((l) => l.actMB));
  const baseline = opts.baselineMB ?? 52;
  return {
    kind: 'mopar.profile', version: PROFILE_VERSION, model: opts.model ?? 'synthetic', modelHash: 'f'.repeat(64),
    inputShapes: { x: [1, 3, 32, 32] }, threads: 1, runs: 5, measuredMs,
    peakRssMB: baseline + weightsMB + peakAct,
    nodes: layers.flatMap((l) => l.nodes.map((name) => ({ name, op: l.dominantOp, ms: l.ms / 2, outputBytes: l.cutBytesAfter, paramBytes: 0, liveBytesAfter: 0 }))),
    opShare: { Conv: 1 }, rdOps: ['Conv'],
    memory: {
      weightsMB, timelineMB: [], peakActivationMB: peakAct, fluctuation: 0.3, baselineRssMB: baseline,
      predictedPeakRssMB: baseline + weightsMB + peakAct, measuredPeakRssMB: baseline + weightsMB + peakAct,
    },
    layers,
    cpuScaling: opts.scaling ?? syntheticScaling(measuredMs),
    attribution: 'synthetic', profilingSeconds: 0, createdAt: '2026-01-01T00:00:00Z',
  };
}

/** A random CNN-like profile: conv blocks with growing weights and shrinking activations, then a heavy head. */
export function randomProfile(n: number, seed: number): Profile {
  const rng = new Rng(seed);
  const specs: SyntheticLayer[] = [];
  for (let i = 0; i < n; i++) {
    const head = i >= n - 2;
    specs.push({
      ms: head ? 2 + rng.next() * 4 : 5 + rng.next() * 30,
      paramMB: head ? 100 + rng.next() * 300 : rng.next() * 20 * (1 + i / n),
      actMB: head ? 1 : 5 + rng.next() * 60 * (1 - i / n),
      cutBytes: Math.round((0.05 + rng.next() * 8) * 2 ** 20),
      op: head ? 'Gemm' : 'Conv',
      splits: rng.next() < 0.6 ? [SYNTHETIC_CHANNEL_SPLIT] : [],
    });
  }
  return syntheticProfile(specs, { model: `random-${n}-${seed}` });
}
