/**
 * `verify --measure`: a built folder served on the embedded runtime (each function under its plan's CPU quota
 * and memory limit) and measured with sequential binary requests, beside what its plan predicted for the same
 * functions — so that a user sees whether the plan's promise holds on their machine before deploying it. Parallel
 * functions that need more cores than the machine has are measured one at a time and composed (compose.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, quantile, watchLoad, type MachineLoad } from '../core/index.js';
import { getPlatform } from '../plan/index.js';
import { loadManifest, readPlan } from '../partition/index.js';
import { measuredCost, warmPass } from './cell.js';
import { composition, machineCores, measurePlan, parallelWidth, type Composition, type MeasuredAs } from './compose.js';
import { servedHere, type ServedHere } from './served-here.js';
import { functionBreakdown, type FunctionMeasurement } from './function-breakdown.js';

export interface VerifyMeasurement {
  requests: number;
  errors: number;
  /** The latency as `measuredAs` says; the cost from each function's measured duration (see `billedFrom`). */
  measured: { p50Ms: number; p99Ms: number; costPerMillionUSD: number };
  /**
   * The plan's own prediction (p99Ms null: the plan predicts no tail for one request at a time), its hand-offs
   * priced as its platform performs them. `servedHere`: the same prediction with every hand-off priced as a
   * shared-memory segment on this machine instead (served-here.ts: latency − Σ planned hand-ins + Σ shm
   * hand-ins, under the plan's quota-rate bound; equal to the plan's where it has no hand-offs).
   */
  predicted: { latencyMs: number; p99Ms: number | null; costPerMillionUSD: number; servedHere: ServedHere };
  /**
   * measured ÷ predicted: `p50`, `cost` against the plan's own prediction; `p50Here`, `p99Here` against
   * `predicted.servedHere` (like with like: hand-offs priced through shared memory on this machine; p99Here null
   * where the plan predicts no p99).
   */
  ratio: { p50: number; cost: number; p50Here: number; p99Here: number | null };
  /** Parallel sub-slices share this machine's cores: their cost is billed from a one-function-at-a-time pass. */
  billedFrom: 'served' | 'one-at-a-time';
  /**
   * `served`: the latency of the plan served as is. `composed`: its parallel functions need more cores than this
   * machine has, so each request was served one function at a time and its latency composed along the DAG.
   */
  measuredAs: MeasuredAs;
  /**
   * Plans with parallel functions: the composed latency, and where the cores sufficed to serve them concurrently
   * too, `validation` (served p50 ÷ composed p50). `parallel`: the widest level that can run at once; `cores`:
   * this machine's.
   */
  composition?: Omit<Composition, 'p95Ms'> & { parallel: { functions: number; vcpu: number }; cores: number };
  /** Each function's planned compute and hand-in beside its measured call and host run (function-breakdown.ts). */
  functions: FunctionMeasurement[];
  platform: string;
  load: MachineLoad;
}

/** `cores` (default: this machine's) decides whether parallel functions can also be served concurrently. */
export async function measureVerify(dir: string, requests: number, opts: { cores?: number } = {}): Promise<VerifyMeasurement> {
  const planPath = join(dir, 'plan.json');
  if (!existsSync(planPath)) throw new MoparError(`verify --measure needs the plan the folder was built from (${planPath} is missing; 'mopar partition' writes it)`);
  const plan = readPlan(planPath);
  const platform = getPlatform(plan.platform);
  const manifest = loadManifest(dir).manifest;
  const cores = opts.cores ?? machineCores();
  const how = measurePlan(manifest, cores);
  const watch = watchLoad();
  const served = how !== 'composed' ? await warmPass(dir, requests, false) : undefined;
  const alone = how !== 'served' ? await warmPass(dir, requests, true) : undefined;
  const load = watch.stop();
  const composed = alone && composition(manifest, alone.lat, alone.calls, served?.lat);
  const lat = served?.lat ?? composed!.lat;
  if (lat.length === 0) throw new MoparError(`verify --measure: none of the ${requests} requests was answered`);
  const measured = {
    p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99),
    costPerMillionUSD: measuredCost(platform, (alone ?? served)!.fns, lat),
  };
  const predictedP99 = (plan.predicted as { p99Ms?: number }).p99Ms;
  const here = servedHere(plan);
  return {
    requests, errors: (served?.errors ?? 0) + (alone?.errors ?? 0), measured,
    predicted: { latencyMs: plan.predicted.latencyMs, p99Ms: predictedP99 ?? null, costPerMillionUSD: plan.predicted.costPerMillionUSD, servedHere: here },
    ratio: {
      p50: measured.p50Ms / plan.predicted.latencyMs, cost: measured.costPerMillionUSD / plan.predicted.costPerMillionUSD,
      p50Here: measured.p50Ms / here.latencyMs, p99Here: here.p99Ms === null ? null : measured.p99Ms / here.p99Ms,
    },
    billedFrom: alone ? 'one-at-a-time' : 'served', measuredAs: how === 'composed' ? 'composed' : 'served',
    ...(composed ? { composition: {
      p50Ms: composed.p50Ms, p99Ms: composed.p99Ms, ...(composed.validation ? { validation: composed.validation } : {}),
      parallel: parallelWidth(manifest), cores,
    } } : {}),
    functions: functionBreakdown(plan, (alone ?? served)!.calls),
    platform: plan.platform, load,
  };
}
