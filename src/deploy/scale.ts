/**
 * The minimum number of instances a deployed function keeps (Knative min-scale, OpenFaaS scale.min) when the user
 * does not say: serverless means scale to zero, so 0 wherever the plan predicts that a cold request still meets
 * the SLO that governs it (its --cold-slo-ms, else its latency SLO); 1 only where a cold request would miss it,
 * so that the idle instance is paid for a reason the deploy README states.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPlan } from '../partition/index.js';

export interface ScaleDecision { minScale: number; why: string }

export function minScaleFor(dir: string, asked?: number): ScaleDecision {
  if (asked !== undefined) return { minScale: asked, why: `--min-scale ${asked} was asked for` };
  const path = join(dir, 'plan.json');
  if (!existsSync(path)) return { minScale: 1, why: 'the build folder has no plan.json, so no cold-start prediction: one instance kept warm per function (--min-scale 0 scales to zero)' };
  const plan = readPlan(path);
  const cold = plan.predicted.coldLatencyMs;
  const slo = plan.coldSloMs ?? plan.sloMs;
  const which = plan.coldSloMs !== undefined ? 'cold-request SLO' : 'latency SLO';
  if (cold === undefined || slo === undefined) return { minScale: 1, why: 'the plan has no cold-request prediction or no SLO: one instance kept warm per function (--min-scale 0 scales to zero)' };
  if (cold <= slo) return { minScale: 0, why: `scale to zero: a cold request is predicted at ${Math.round(cold)} ms, within the ${which} of ${Math.round(slo)} ms (--min-scale 1 keeps one instance of each function warm, billed while idle)` };
  return { minScale: 1, why: `one instance of each function kept warm: a cold request is predicted at ${Math.round(cold)} ms, over the ${which} of ${Math.round(slo)} ms (--min-scale 0 scales to zero; those requests then miss it)` };
}
