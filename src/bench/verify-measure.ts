/**
 * `verify --measure`: a built folder served on the embedded runtime (each function under its plan's CPU quota
 * and memory limit) and measured with sequential binary requests, beside what its plan predicted for the same
 * functions — so that a user sees whether the plan's promise holds on their machine before deploying it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, quantile, watchLoad, type MachineLoad } from '../core/index.js';
import { getPlatform } from '../plan/index.js';
import { loadManifest, readPlan } from '../partition/index.js';
import { countSubSlices, measuredCost, warmPass } from './cell.js';

export interface VerifyMeasurement {
  requests: number;
  errors: number;
  measured: { p50Ms: number; p99Ms: number; costPerMillionUSD: number };
  /** The plan's own prediction (p99Ms null: the plan predicts no tail for one request at a time). */
  predicted: { latencyMs: number; p99Ms: number | null; costPerMillionUSD: number };
  /** measured ÷ predicted. */
  ratio: { p50: number; cost: number };
  /** Parallel sub-slices share this machine's cores: their cost is billed from a one-function-at-a-time pass. */
  billedFrom: 'served' | 'one-at-a-time';
  platform: string;
  load: MachineLoad;
}

export async function measureVerify(dir: string, requests: number): Promise<VerifyMeasurement> {
  const planPath = join(dir, 'plan.json');
  if (!existsSync(planPath)) throw new MoparError(`verify --measure needs the plan the folder was built from (${planPath} is missing; 'mopar partition' writes it)`);
  const plan = readPlan(planPath);
  const platform = getPlatform(plan.platform);
  const manifest = loadManifest(dir).manifest;
  const watch = watchLoad();
  const served = await warmPass(dir, requests, false);
  const alone = countSubSlices(manifest) > 0 ? await warmPass(dir, requests, true) : undefined;
  const load = watch.stop();
  if (served.lat.length === 0) throw new MoparError(`verify --measure: none of the ${requests} requests was answered`);
  const measured = {
    p50Ms: quantile(served.lat, 0.5), p99Ms: quantile(served.lat, 0.99),
    costPerMillionUSD: measuredCost(platform, (alone ?? served).fns),
  };
  const predictedP99 = (plan.predicted as { p99Ms?: number }).p99Ms;
  return {
    requests, errors: served.errors + (alone?.errors ?? 0), measured,
    predicted: { latencyMs: plan.predicted.latencyMs, p99Ms: predictedP99 ?? null, costPerMillionUSD: plan.predicted.costPerMillionUSD },
    ratio: { p50: measured.p50Ms / plan.predicted.latencyMs, cost: measured.costPerMillionUSD / plan.predicted.costPerMillionUSD },
    billedFrom: alone ? 'one-at-a-time' : 'served', platform: plan.platform, load,
  };
}
