/**
 * The price of a multi-function deployment besides its functions (issue 27): the entry that receives each request
 * and waits for the whole chain, and the orchestration service that runs the chain where there is one (Step
 * Functions Express on AWS Lambda); `platform.orchestration` says what they are. One function is its own endpoint
 * and pays none of it. The planner (predicted, and its linear form for the DP) and the benches (measured) price it
 * here and nowhere else.
 */
import type { Platform } from './platforms.js';
import { billedMs, expectedBilledMs, invocationUSD, measuredInvocationUSD, usdPerSecond } from './billing.js';

type Workflow = NonNullable<Platform['orchestration']['workflow']>;

/** USD of one workflow execution billed for `billed` ms (already rounded to its granule). */
function workflowUSD(w: Workflow, billed: number): number {
  return w.perRequest + billed / 1000 * (w.memoryMB / 1024) * w.perGBSecond;
}

/**
 * USD the planner predicts per request of `latencyMs` for the entry (billed like a predicted invocation at the
 * entry's size: `invocationUSD`) and the workflow (its request fee and its duration, expected over the same
 * margin, rounded to its own granule, at its memory).
 */
export function orchestrationUSD(p: Platform, latencyMs: number): number {
  const { entry, workflow } = p.orchestration;
  return invocationUSD(p, entry, latencyMs) + (workflow ? workflowUSD(workflow, expectedBilledMs(latencyMs, workflow.granularityMs)) : 0);
}

/** USD of one measured request of `latencyMs`: each part's duration rounded up to its granule (no expectation). */
export function measuredOrchestrationUSD(p: Platform, latencyMs: number): number {
  const { entry, workflow } = p.orchestration;
  return measuredInvocationUSD(p, entry, latencyMs) + (workflow ? workflowUSD(workflow, billedMs(latencyMs, workflow.granularityMs)) : 0);
}

/**
 * `orchestrationUSD` as a linear function of the request's duration, for the DP (additive over segments: each
 * segment pays `usdPerMs` × its latency, the first also `fixedUSD`): USD per ms of the entry and the workflow
 * while the request runs, and per request their fees plus the mean round-up to each granule (half a granule: a
 * duration falls anywhere within its last one). The plan's own figure is `orchestrationUSD`, exact.
 */
export interface OrchestrationRate { usdPerMs: number; fixedUSD: number }

export function orchestrationRate(p: Platform): OrchestrationRate {
  const { entry, workflow } = p.orchestration;
  const entryPerMs = usdPerSecond(p, entry) / 1000;
  const workflowPerMs = workflow ? (workflow.memoryMB / 1024) * workflow.perGBSecond / 1000 : 0;
  return {
    usdPerMs: entryPerMs + workflowPerMs,
    fixedUSD: p.price.perRequest + entryPerMs * p.price.granularityMs / 2
      + (workflow ? workflow.perRequest + workflowPerMs * workflow.granularityMs / 2 : 0),
  };
}
