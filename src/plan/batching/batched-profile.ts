/**
 * A profile as the model behaves at batch size B: what the partition planner needs to size functions that run
 * batches. Time scales by the batch profile's fitted latency(b) (per thread count, so that the CPU-scaling curve
 * keeps the better parallelism of big batches at 2+ threads); activations, cut tensors and inputs scale by B;
 * weights do not. Without a batch profile per-item time is taken as flat (latency(b) = b · latency(1)), what the
 * issue measured on CPU (ResNet-50 227 ms at batch 1, 225 ms per item at batch 8): never optimistic.
 */
import { ACTIVATION_FACTOR, type Profile } from '../../profile/index.js';

/** latency(b) / latency(1) at `threads` (the nearest fitted thread count). */
export function batchFactor(profile: Profile, b: number, threads: number): number {
  const fits = profile.batch?.fits ?? [];
  if (fits.length === 0 || b === 1) return b;
  const fit = fits.reduce((best, f) => (Math.abs(f.threads - threads) < Math.abs(best.threads - threads) ? f : best));
  const at1 = fit.fixedMs + fit.perItemMs;
  if (!(at1 > 0)) return b;
  // Never faster per batch than one item: a fit through noisy points may have a negative slope.
  return Math.max(1, (fit.fixedMs + fit.perItemMs * b) / at1);
}

/** Largest batch the profile lets the planner choose. */
export function maxBatchOf(profile: Profile, cap: number): number {
  return Math.max(1, Math.min(cap, profile.batch?.maxBatch ?? cap));
}

export function profileAtBatch(profile: Profile, b: number): Profile {
  if (b === 1) return profile;
  const f = batchFactor(profile, b, Math.max(1, profile.threads || 1));
  const perItemMB = profile.batch?.memory.measured ? profile.batch.memory.perItemMB : undefined;
  const actMB = profile.memory.peakActivationMB;
  // The RSS grows by what the batch adds; the planner's load-factor calibration then sees the same weights.
  const extraRssMB = perItemMB !== undefined ? perItemMB * (b - 1) : ACTIVATION_FACTOR * actMB * (b - 1);
  const inputShapes = Object.fromEntries(Object.entries(profile.inputShapes ?? {})
    .map(([name, dims]) => [name, dims.length > 0 ? [dims[0]! * b, ...dims.slice(1)] : dims]));
  return {
    ...profile,
    inputShapes,
    measuredMs: profile.measuredMs * f,
    ...(profile.measuredCpuMs !== undefined ? { measuredCpuMs: profile.measuredCpuMs * f } : {}),
    layers: profile.layers.map((l) => ({
      ...l, ms: l.ms * f, peakActivationMB: l.peakActivationMB * b, cutBytesAfter: l.cutBytesAfter * b,
    })),
    nodes: profile.nodes.map((n) => ({ ...n, ms: n.ms * f, outputBytes: n.outputBytes * b, liveBytesAfter: n.liveBytesAfter * b })),
    cpuScaling: (profile.cpuScaling ?? []).map((p) => ({ ...p, ms: p.ms * batchFactor(profile, b, p.threads) })),
    memory: {
      ...profile.memory,
      peakActivationMB: actMB * b,
      timelineMB: profile.memory.timelineMB.map((x) => x * b),
      measuredPeakRssMB: profile.memory.measuredPeakRssMB > 0 ? profile.memory.measuredPeakRssMB + extraRssMB : 0,
      predictedPeakRssMB: profile.memory.predictedPeakRssMB + extraRssMB,
    },
    peakRssMB: profile.peakRssMB > 0 ? profile.peakRssMB + extraRssMB : profile.peakRssMB,
  };
}
