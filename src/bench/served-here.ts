/**
 * A plan's prediction re-priced for the embedded runtime (issue 27, `verify --measure`). A plan prices every
 * cut's hand-off as its platform performs it (AWS Lambda: the tensors ride an invocation payload through a
 * gateway, the record's 15 ms a hop plus the bytes at its payload bandwidth), which this machine does not run:
 * measured ÷ predicted then compares a local hand-off with a remote one. Here each cut is priced by the plan
 * stage's own shared-memory transport model (transports/shm.ts) instead, with the shm figures of the plan's
 * platform where it has shared memory, else of the first platform record that does (openfaas: 0.5 ms a hand-off,
 * 2000 MB/s — the record's estimate, not measured here), and the latency is composed again as the plan composes
 * it (plan-partition.ts `servedLatency`):
 *
 *   servedHere = max(predicted − Σ planned hand-ins + Σ shm hand-ins, quota rate bound)
 *
 * The plan's latency is a chain of groups, each paying its hand-in once (a k-part group's hand-in carries k
 * copies, so it is priced with fan-out k; the first group's extra k − 1 copies of the model's input without a hop
 * overhead, as the cost model does). The bytes of a cut are those of the plan's edges into that group (a tensor
 * crossing several cuts counted at each, as the plan counts it). Everything else in the prediction stays: every
 * call's work and its measured per-call overhead (the profile's `invocationOverheadMs`, already in the plan's
 * latency once per function, so not added again), the request's own overhead. The quota rate bound is the plan's
 * (quota-model.ts `sustainedLatency`: a function below one core cannot take requests faster than its work ÷ its
 * quota, whatever the hand-offs); its work is recovered from the plan's call time (`callFullSpeedMs`, exact inside
 * one CFS period), and it is capped at the plan's own median, which it cannot exceed there.
 * The embedded runtime hands every edge of 64 KiB or more through a /dev/shm segment unless it is planned
 * compressed (runtime/model.ts `outputPlan`); a smaller one crosses raw over the hosts' IPC channel through the
 * gateway, which this price does not model (a few tenths of a millisecond).
 */
import { PLATFORMS, callFullSpeedMs, getPlatform, requestInputBytes, sustainedLatency, transportHandOff, type Plan, type Platform } from '../plan/index.js';

export interface ServedHere {
  /** The plan's median with its hand-offs priced through shared memory, ms. */
  latencyMs: number;
  /** The plan's p99 the same way (its tail over the median kept); null where the plan predicts none. */
  p99Ms: number | null;
  /** Σ hand-offs into the plan's groups as shared-memory segments on this machine, ms. */
  handOffMs: number;
  /** Σ the plan's own hand-ins (`functions[].predicted.handInMs`, once per group), as its platform performs them, ms. */
  plannedHandOffMs: number;
  transport: 'shm';
  /** The platform record whose shm figures priced them (the plan's own where it has shared memory). */
  shmFiguresOf: string;
}

type PlanPart = Pick<Plan, 'platform' | 'functions' | 'edges' | 'predicted' | 'inputShapes'>;

/** The plan's prediction with every cut handed off through shared memory (see the file's comment). */
export function servedHere(plan: PlanPart): ServedHere {
  const local = shmPlatform(plan.platform);
  const groups = new Map<string, PlanPart['functions']>();
  for (const f of plan.functions) groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
  let planned = 0;
  let here = 0;
  [...groups.values()].forEach((fns, gi) => {
    const handIn = Math.max(0, ...fns.map((f) => f.predicted.handInMs ?? 0));
    if (handIn === 0) return; // no hand-off into it (the first group of one function)
    planned += handIn;
    const names = new Set(fns.map((f) => f.name));
    const h = gi === 0
      ? transportHandOff('shm', local, requestInputBytes(plan.inputShapes), fns.length - 1, false)
      : transportHandOff('shm', local, cutBytes(plan.edges, names), fns.length);
    here += h!.latencyMs;
  });
  const p50 = plan.predicted.latencyMs;
  const bound = Math.min(p50, sustainedLatency(0, plan.functions.map((f) => ({ fullSpeedMs: callFullSpeedMs(f.predicted.ms, f.vcpu), vcpu: f.vcpu }))));
  const latencyMs = planned === 0 ? p50 : round3(Math.max(p50 - planned + here, bound));
  const p99 = plan.predicted.p99Ms;
  return {
    latencyMs, p99Ms: p99 === undefined ? null : round3(p99 - p50 + latencyMs),
    handOffMs: round3(here), plannedHandOffMs: round3(planned), transport: 'shm', shmFiguresOf: local.id,
  };
}

/** Bytes crossing the cut into a group: its edges from outside it (a skip tensor counted at every cut it crosses). */
function cutBytes(edges: Plan['edges'], names: ReadonlySet<string>): number {
  let bytes = 0;
  for (const e of edges) {
    if (!names.has(e.from) && e.to.some((t) => names.has(t))) bytes += e.bytes;
  }
  return bytes;
}

function shmPlatform(id: string): Platform {
  const own = getPlatform(id);
  if (own.shm.available) return own;
  const p = PLATFORMS.find((x) => x.shm.available);
  if (!p) throw new Error('no platform record has shared memory to price a local hand-off with');
  return p;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
