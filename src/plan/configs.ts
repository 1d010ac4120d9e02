/**
 * The function configurations a platform allows for a given memory need: a small candidate set (memory, vCPU)
 * that covers the useful trade-offs. For CPU-follows-memory platforms, more memory is the only way to more CPU.
 */
import type { IndependentCpu, Platform } from './platforms.js';

export interface FnConfig { memoryMB: number; vcpu: number }

/** vCPU shares worth trying; snapped to each platform's allowed settings. */
export const VCPU_GRID = [
  0.05, 0.08, 0.1, 0.125, 0.167, 0.25, 0.333, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5,
  4, 5, 6, 8, 12, 16,
];

const roundUp = (x: number, step: number) => Math.ceil(x / step - 1e-9) * step;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Candidate configurations that give at least `needMB` of memory, by rising vCPU (then memory); empty when none
 * fits the platform. Hot path of the planner: no maps or strings.
 */
export function configsFor(p: Platform, needMB: number, grid: readonly number[] = VCPU_GRID, stopAboveVcpu = Infinity): FnConfig[] {
  const out: FnConfig[] = [];
  // Past `stopAboveVcpu` more CPU buys no speed: only the first feasible setting is kept (some platforms need
  // more vCPU for more memory).
  const done = () => out.length > 0 && out[out.length - 1]!.vcpu >= stopAboveVcpu;
  const add = (memoryMB: number, vcpu: number) => {
    const last = out[out.length - 1];
    if (last && last.vcpu === vcpu && last.memoryMB === memoryMB) return;
    out.push({ memoryMB, vcpu });
  };
  const need = Math.max(p.memory.minMB, roundUp(needMB, p.memory.stepMB));
  if (need > p.memory.maxMB) return out;
  const cpu = p.cpu;
  if (cpu.kind === 'proportional') {
    const vcpuOf = (m: number) => r3(Math.min(cpu.maxVcpu, m / cpu.mbPerVcpu));
    add(need, vcpuOf(need));
    let lastV = vcpuOf(need);
    for (const v of grid) {
      if (done()) return out;
      const m = roundUp(v * cpu.mbPerVcpu, p.memory.stepMB);
      if (m <= need || m > p.memory.maxMB) continue;
      const vm = vcpuOf(m);
      if (vm > lastV) { add(m, vm); lastV = vm; }
    }
    if (!done() && vcpuOf(p.memory.maxMB) > lastV) add(p.memory.maxMB, vcpuOf(p.memory.maxMB));
  } else {
    for (const v of snappedGrid(p, cpu, grid)) {
      if (done()) return out;
      const m = memoryAt(p, cpu, v, need);
      if (m !== undefined) add(m, v);
    }
  }
  return out;
}

const snapped = new WeakMap<readonly number[], WeakMap<Platform, number[]>>();

/** The grid snapped to the platform's allowed vCPU settings, ascending and distinct (memoised). */
function snappedGrid(p: Platform, cpu: IndependentCpu, grid: readonly number[]): number[] {
  let byP = snapped.get(grid);
  if (!byP) { byP = new WeakMap(); snapped.set(grid, byP); }
  let vs = byP.get(p);
  if (!vs) {
    vs = [...new Set(grid.map((g) => snapVcpu(cpu, g)).filter((v): v is number => v !== undefined))].sort((a, b) => a - b);
    byP.set(p, vs);
  }
  return vs;
}

function snapVcpu(cpu: IndependentCpu, v: number): number | undefined {
  let s = Math.max(cpu.minVcpu, v);
  if (s > 1 && cpu.wholeChoices) s = cpu.wholeChoices.find((c) => c >= s) ?? Infinity;
  else s = roundUp(s, cpu.stepVcpu);
  s = r3(s);
  return s <= cpu.maxVcpu ? s : undefined;
}

/** Smallest allowed memory ≥ need at this vCPU, or undefined when the rules forbid it. */
function memoryAt(p: Platform, cpu: IndependentCpu, v: number, need: number): number | undefined {
  let lo = need;
  let hi = p.memory.maxMB;
  let rule: { minMB: number; maxMB: number } | undefined;
  for (const r of cpu.memoryRules ?? []) if (r.fromVcpu <= v + 1e-9) rule = r;
  if (cpu.memoryRules && !rule) return undefined;
  if (rule) { lo = Math.max(lo, rule.minMB); hi = Math.min(hi, rule.maxMB); }
  if (cpu.mbPerVcpu) { lo = Math.max(lo, cpu.mbPerVcpu.min * v); hi = Math.min(hi, cpu.mbPerVcpu.max * v); }
  const m = roundUp(lo, p.memory.stepMB);
  return m <= hi + 1e-9 ? m : undefined;
}

/** Largest memory any configuration of the platform can have. */
export function maxMemoryMB(p: Platform): number {
  return p.memory.maxMB;
}
