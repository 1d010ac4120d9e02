import type { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildPartition } from '../../partition/index.js';
import { log } from '../../core/log.js';
import { loadWarning } from '../../core/load.js';
import { parseInputFlags } from '../../graph/input-shapes.js';
import { openModel } from '../../graph/open.js';
import { planPartition, renderAlternatives } from '../../plan/index.js';
import { profileModel, saveProfile } from '../../profile/index.js';
import { examples, inputOption, jsonOption, outputOption, planOptions, platformOption, printJson, profilingOptions } from '../options.js';
import { renderManifest } from './build.js';

interface PartitionFlags {
  output: string; platform: string; sloMs?: number; strategy: string; input?: string[]; runs: number;
  threads: number; cpuScaling: boolean; rss: boolean; json?: boolean; allowSloMiss?: boolean;
}

export function registerPartition(program: Command): void {
  const cmd = program.command('partition')
    .description('profile + plan + build in one step; writes DIR/profile.json, DIR/plan.json, the function files and DIR/manifest.json')
    .argument('<model>', 'ONNX file');
  outputOption(cmd, 'dir', 'partition directory to write', true);
  platformOption(cmd);
  planOptions(cmd, 'build');
  inputOption(cmd);
  profilingOptions(cmd);
  jsonOption(cmd, 'the manifest as one JSON document');
  examples(cmd, [
    'mopar partition model.onnx -o model.parts',
    'mopar partition bert.onnx --input input_ids=1,128 --platform aws-lambda --slo-ms 300 -o bert.parts',
  ]);
  cmd
    .action(async (modelPath: string, opts: PartitionFlags) => {
      const t0 = performance.now();
      const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
      const profile = await profileModel(modelPath, {
        inputShapes: parseInputFlags(opts.input), runs: opts.runs, threads: opts.threads,
        cpuScaling: opts.cpuScaling, measureRss: opts.rss,
        onProgress: (step, i, n) => log(`profile [${i}/${n}] ${step} (${secs()} s)`),
      });
      // The graph lets the planner measure how halos compound in multi-layer splits (shapes are cached).
      const { graph } = await openModel(modelPath, profile.inputShapes);
      const plan = planPartition(profile, { platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, allowSloMiss: opts.allowSloMiss, graph, alternatives: true });
      log(`plan: ${plan.functions.length} functions, predicted ${plan.predicted.latencyMs} ms, $${plan.predicted.costPerMillionUSD} per million (unsplit ${plan.unsplit.latencyMs} ms, $${plan.unsplit.costPerMillionUSD}) (${secs()} s)`);
      mkdirSync(opts.output, { recursive: true });
      saveProfile(profile, join(opts.output, 'profile.json'));
      writeFileSync(join(opts.output, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
      const manifest = await buildPartition(modelPath, plan, opts.output);
      if (opts.json) printJson(manifest);
      else process.stdout.write(`${renderManifest(manifest)}\n\n${renderAlternatives(plan)}\n${profile.load?.loaded ? `warning: ${loadWarning(profile.load, 'the profiled timings this plan rests on')}\n` : ''}`);
      log(`partitioned into ${opts.output} in ${secs()} s (check it with: mopar verify ${modelPath} ${opts.output})`);
    });
}
