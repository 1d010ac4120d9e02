import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { MoparError, errorMessage } from '../../core/errors.js';
import { sha256File } from '../../core/hash.js';
import { log } from '../../core/log.js';
import { parseInputFlags } from '../../graph/input-shapes.js';
import { openModel } from '../../graph/open.js';
import { collectApps, planPartition, renderPlan } from '../../plan/index.js';
import { loadProfile, profileModel } from '../../profile/index.js';
import { examples, inputOption, jsonOption, outputOption, planOptions, platformOption, printJson, profilingOptions } from '../options.js';
import { addBatchingFlags, batchingFields, batchingFor, renderBatching, type BatchFlags } from './plan-batching.js';

interface PlanFlags extends BatchFlags {
  platform: string; sloMs?: number; strategy: string; profile?: string; input?: string[]; json?: boolean;
  output?: string; runs: number; threads: number; allowSloMiss?: boolean; cpuScaling: boolean; rss: boolean;
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
      let profile;
      if (opts.profile) {
        let hash: string;
        try {
          hash = sha256File(modelPath);
        } catch (err) {
          throw new MoparError(`cannot read model ${modelPath}: ${errorMessage(err)}`);
        }
        profile = loadProfile(opts.profile, hash);
        if (opts.input?.length) {
          const want = parseInputFlags(opts.input);
          for (const [name, dims] of Object.entries(want)) {
            const had = profile.inputShapes[name];
            if (!had || had.join(',') !== dims.join(',')) {
              throw new MoparError(`profile ${opts.profile} was made with ${name}=${had?.join(',') ?? '(absent)'}, `
                + `not ${name}=${dims.join(',')} (profile it again with these --input shapes)`);
            }
          }
        }
      } else {
        const t0 = performance.now();
        profile = await profileModel(modelPath, {
          inputShapes: parseInputFlags(opts.input), runs: opts.runs, threads: opts.threads,
          cpuScaling: opts.cpuScaling, measureRss: opts.rss,
          onProgress: (step, i, n) => log(`profile [${i}/${n}] ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
        });
      }
      // The graph lets the planner measure how halos compound in multi-layer splits (shapes are cached).
      const { graph } = await openModel(modelPath, profile.inputShapes);
      const plan = planPartition(profile, {
        platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, allowSloMiss: opts.allowSloMiss, graph, alternatives: true,
      });
      const batching = apps ? batchingFor(profile, apps, opts.platform, opts.strategy, opts.maxBatch) : undefined;
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
