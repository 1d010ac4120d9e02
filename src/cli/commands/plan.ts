import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { MoparError, errorMessage, log } from '../../core/index.js';
import { DEFAULT_MAX_BATCH, collectApps, renderPlan } from '../../plan/index.js';
import { partitionModel } from '../../partition/index.js';
import { examples, inputOption, jsonOption, outputOption, planOptions, platformOption, printJson, profilingFrom, profilingOptions, type ProfilingFlags } from '../options.js';
import { addBatchingFlags, batchingFields, batchingFor, renderBatching, type BatchFlags } from './plan-batching.js';

interface PlanFlags extends BatchFlags, ProfilingFlags {
  platform: string; sloMs?: number; coldSloMs?: number; strategy: string; profile?: string; json?: boolean; output?: string; allowSloMiss?: boolean;
}

export function registerPlan(program: Command): void {
  const cmd = program.command('plan')
    .description('choose the functions a model becomes: slices, parallel sub-slices, memory and vCPU per function')
    .argument('<model>', 'ONNX file');
  platformOption(cmd);
  planOptions(cmd, 'print');
  cmd.option('--profile <file>', 'use a saved profile (mopar profile -o) instead of profiling now');
  inputOption(cmd);
  profilingOptions(cmd, 'without --profile');
  jsonOption(cmd, 'the plan as one JSON document');
  outputOption(cmd, 'file', 'save the plan as JSON (read by mopar build --plan)', false);
  examples(cmd, [
    'mopar plan model.onnx',
    'mopar plan model.onnx --platform aws-lambda --slo-ms 200 -o plan.json',
    'mopar profile model.onnx -o profile.json && mopar plan model.onnx --profile profile.json --json',
    'mopar plan model.onnx --app chat:200:50 --app batch:2000:5',
  ]);
  addBatchingFlags(cmd)
    .action(async (modelPath: string, opts: PlanFlags) => {
      // Bad applications fail before the (slow) profiling.
      const apps = collectApps(opts.apps, opts.app);
      const { profile, plan } = await partitionModel(modelPath, {
        profileFile: opts.profile ? { path: opts.profile, mode: 'use' } : undefined,
        profiling: profilingFrom(opts),
        plan: { platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, coldSloMs: opts.coldSloMs, allowSloMiss: opts.allowSloMiss, alternatives: true, maxBatch: opts.maxBatch },
      });
      // A group's batch is one run of the chain: no more rows than the model's max batch its memory is sized for.
      const batching = apps ? batchingFor(profile, apps, opts.platform, opts.strategy, plan.maxBatch ?? opts.maxBatch ?? DEFAULT_MAX_BATCH) : undefined;
      const doc = batching ? { ...plan, ...batchingFields(batching) } : plan;
      if (opts.output) {
        try {
          writeFileSync(opts.output, `${JSON.stringify(doc, null, 2)}\n`);
        } catch (err) {
          throw new MoparError(`cannot write plan ${opts.output}: ${errorMessage(err)}`);
        }
      }
      if (opts.json) printJson(doc);
      else process.stdout.write(`${renderPlan(plan)}\n${batching ? `\n${renderBatching(batching)}\n` : ''}`);
      if (opts.output) log(`saved ${opts.output}`);
    });
}
