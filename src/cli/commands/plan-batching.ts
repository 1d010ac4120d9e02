/** The batching part of `mopar plan` (--apps FILE, --app NAME:SLO_MS:RATE): docs/batching.md. */
import type { Command } from 'commander';
import type { Profile } from '../../profile/index.js';
import { planBatching, renderBatching, type AppSpec, type BatchingResult } from '../../plan/index.js';
import { collect, intOption } from '../options.js';

export interface BatchFlags { apps?: string; app?: string[]; maxBatch?: number }

export function addBatchingFlags(cmd: Command): Command {
  return cmd
    .option('--apps <file>', 'applications sharing the model, JSON {"apps":[{"name","sloMs","ratePerSec"}]}: plan request batching per group')
    .option('--app <name:slo:rate>', 'one application as NAME:SLO_MS:RATE (repeatable; adds to --apps)', collect)
    .option('--max-batch <n>', 'largest batch size to consider with --apps (default 32, or the batch profile\'s)', intOption('--max-batch'));
}

export function batchingFor(profile: Profile, apps: AppSpec[], platform: string, strategy: string, maxBatch?: number): BatchingResult {
  const sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter((b) => b <= (maxBatch ?? 32));
  if (maxBatch && !sizes.includes(maxBatch)) sizes.push(maxBatch);
  return planBatching(profile, apps, { platform, strategy, batchSizes: sizes });
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
