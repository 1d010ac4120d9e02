/** The batching part of `mopar plan` (--apps FILE, --app NAME:SLO_MS:RATE): docs/batching.md. */
import type { Command } from 'commander';
import type { Profile } from '../../profile/index.js';
import { planBatching, renderBatching, type AppSpec, type BatchingResult } from '../../plan/index.js';
import { collect, maxBatchOption } from '../options.js';

export interface BatchFlags { apps?: string; app?: string[]; maxBatch?: number }

export function addBatchingFlags(cmd: Command): Command {
  cmd
    .option('--apps <file>', 'applications sharing the model, JSON {"apps":[{"name","sloMs","ratePerSec"}]}: plan request batching per group')
    .option('--app <name:slo:rate>', 'one application as NAME:SLO_MS:RATE (repeatable; adds to --apps)', collect);
  return maxBatchOption(cmd);
}

/**
 * `maxBatch`: the model's max batch (the plan's `maxBatch`): a group batching more requests than it would run
 * batches its functions' memory was not sized for, so the sizes stop there (the batch profile may cap lower).
 */
export function batchingFor(profile: Profile, apps: AppSpec[], platform: string, strategy: string, maxBatch: number): BatchingResult {
  const sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter((b) => b <= maxBatch);
  if (maxBatch && !sizes.includes(maxBatch)) sizes.push(maxBatch);
  return planBatching(profile, apps, { platform, strategy, batchSizes: sizes, maxBatch });
}

/** Fields added to the plan document: `groups` as docs/contracts.md states, and the strategies compared. */
export function batchingFields(r: BatchingResult) {
  return {
    apps: r.apps,
    groups: r.groups,
    batching: {
      costPerRequestUSD: r.costPerRequestUSD,
      strategies: r.strategies.map((s) => ({ strategy: s.strategy, feasible: s.feasible, groups: s.groups.length,
        costPerRequestUSD: s.costPerRequestUSD, infeasibleApps: s.infeasibleApps, detail: s.groups })),
      notes: r.notes,
    },
  };
}

export { renderBatching };
