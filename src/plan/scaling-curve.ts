/**
 * Latency at a CPU share, from the profile's measured whole-model curve (`profile.cpuScaling`). Per-layer times
 * were measured at `profile.threads` dedicated cores; a function with v vCPU runs them curve(v)/curve(ref) times
 * as long. Between measured points we interpolate log-log (power law); below the lowest point time grows as 1/v
 * (a CPU quota gives proportionally fewer cycles); above the highest point we assume no further speed-up (we
 * never extrapolate a gain we did not measure). A share below 1 vCPU runs at 1 vCPU's speed inside each CFS
 * period and is throttled across periods: `quota` (plan/quota-model.ts, fitted on the measured quota points)
 * turns a call's full-speed time into its wall time there; `factor` below 1 vCPU is the full-speed factor. A
 * fractional quota above the host's thread count is modelled at the thread count's speed: 1.25 vCPU runs one
 * thread, as fast as 1 vCPU.
 */
import { usableVcpu } from '../core/index.js';
import type { CpuScalingPoint } from '../profile/index.js';
import { fitQuotaModel, type QuotaModel } from './quota-model.js';

export interface ScalingCurve {
  /** Multiplier on reference-time work at `vcpu` (below 1 vCPU: at full speed, before the quota model). */
  factor(vcpu: number): number;
  /** How a fractional quota stretches a call (fitted on the profile's cgroup-quota points). */
  quota: QuotaModel;
  /** Points used (sorted by vcpu, one per vcpu). */
  points: Array<{ vcpu: number; ms: number }>;
  /** Past this share the curve is flat: more CPU buys no speed. */
  maxUsefulVcpu: number;
}

export function scalingCurve(points: readonly CpuScalingPoint[], refVcpu: number, refMs: number): ScalingCurve {
  const byV = new Map<number, number>();
  for (const p of points) {
    if (!(p.vcpu > 0) || !(p.ms > 0) || !Number.isFinite(p.ms)) continue;
    // Two methods at the same share (in-process threads, a child under a cgroup quota): keep the slower. Served
    // functions are child processes under a quota; keeping the faster (the rule until 2026-12) let them run 1.33×
    // their predicted p50 at the median of the full bench, and the methods disagreed by up to 40 %.
    byV.set(p.vcpu, Math.max(byV.get(p.vcpu) ?? 0, p.ms));
  }
  if (byV.size === 0 && refMs > 0) byV.set(refVcpu, refMs);
  // Below one core the quota model applies, not the curve: its points only fit the model's throttle overhead.
  const all = [...byV.entries()].sort((a, b) => a[0] - b[0]).map(([vcpu, ms]) => ({ vcpu, ms }));
  const whole = all.filter((p) => p.vcpu >= 1);
  const pts = whole.length > 0 ? whole : all.length > 0 ? [{ vcpu: 1, ms: interpolate(all, 1) }] : [];
  const quotaOne = points.find((p) => p.method === 'cgroup-quota' && p.vcpu === 1)?.ms ?? interpolate(pts, 1);
  const quota = fitQuotaModel(all.filter((p) => p.vcpu < 1), quotaOne);
  // More CPU is never modelled as slower: a function can always run fewer threads than it has cores.
  for (let i = 1; i < pts.length; i++) pts[i]!.ms = Math.min(pts[i]!.ms, pts[i - 1]!.ms);
  const at = (v: number): number => interpolate(pts, v);
  // Layer times sum to refMs (the profile's own measurement at refVcpu): the curve scales them to its absolute
  // time at each share, so a slower measurement at the reference share raises predictions there too.
  const ref = refMs > 0 ? refMs : at(refVcpu);
  let maxUsefulVcpu = pts.length ? pts[pts.length - 1]!.vcpu : 1;
  for (let i = pts.length - 1; i > 0 && pts[i - 1]!.ms <= pts[i]!.ms; i--) maxUsefulVcpu = pts[i - 1]!.vcpu;
  // A host's thread count is fixed by its quota (core/threads.ts): the part of a quota its threads cannot use buys no speed.
  return { points: pts, maxUsefulVcpu, quota, factor: (v: number) => at(Math.max(1, usableVcpu(v))) / ref };
}

function interpolate(pts: ReadonlyArray<{ vcpu: number; ms: number }>, v: number): number {
  if (pts.length === 0) return 1;
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (v <= first.vcpu) return first.ms * (first.vcpu / v);
  if (v >= last.vcpu) return last.ms;
  let i = 1;
  while (pts[i]!.vcpu < v) i++;
  const a = pts[i - 1]!;
  const b = pts[i]!;
  if (b.vcpu === v) return b.ms;
  const t = Math.log(v / a.vcpu) / Math.log(b.vcpu / a.vcpu);
  return Math.exp(Math.log(a.ms) + t * (Math.log(b.ms) - Math.log(a.ms)));
}
