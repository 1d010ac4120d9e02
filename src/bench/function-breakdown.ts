/**
 * Per function of a measured plan: what its plan predicted (its compute at its configuration, its hand-in) beside
 * what its calls measured (the median call as the gateway saw it, and the median run its host reported). Where a
 * chain's prediction breaks shows function by function: BERT's 50-function sub-slice plan measured 1.74× its
 * prediction as a whole, and taken apart its split parts ran 1.4–1.6× their planned compute while their per-call
 * time came in under plan (2026-12-07).
 */
import { median } from '../core/index.js';
import type { Plan } from '../plan/index.js';
import type { Calls } from './compose.js';

export interface FunctionMeasurement {
  name: string;
  group: string;
  vcpu: number;
  predicted: { computeMs: number; handInMs: number };
  /** Medians over the requests that called it: the call (hand-offs, IPC, host) and the host's run of its model. */
  measured: { callMs: number; runMs: number; calls: number };
  /** measured.runMs ÷ predicted.computeMs; null where the plan predicts no compute. */
  runRatio: number | null;
}

export function functionBreakdown(plan: Plan, requests: readonly Calls[]): FunctionMeasurement[] {
  const seen = new Map<string, { call: number[]; run: number[] }>();
  for (const calls of requests) {
    for (const c of calls) {
      const s = seen.get(c.fn) ?? { call: [], run: [] };
      s.call.push(c.ms);
      s.run.push(c.stats.runMs);
      seen.set(c.fn, s);
    }
  }
  return plan.functions.flatMap((f) => {
    const s = seen.get(f.name);
    if (!s) return [];
    const runMs = median(s.run);
    return [{
      name: f.name, group: f.group, vcpu: f.vcpu,
      predicted: { computeMs: f.predicted.ms, handInMs: f.predicted.handInMs ?? 0 },
      measured: { callMs: median(s.call), runMs, calls: s.call.length },
      runRatio: f.predicted.ms > 0 ? runMs / f.predicted.ms : null,
    }];
  });
}

/** The `n` functions whose runs exceeded their planned compute by the most milliseconds, largest first. */
export function furthestFromPlan(fns: readonly FunctionMeasurement[], n = 5): FunctionMeasurement[] {
  return [...fns].sort((a, b) => (b.measured.runMs - b.predicted.computeMs) - (a.measured.runMs - a.predicted.computeMs)).slice(0, n);
}
