import type { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildPartition } from '../../partition/index.js';
import { log } from '../../core/log.js';
import { parseInputFlags } from '../../graph/input-shapes.js';
import { openModel } from '../../graph/open.js';
import { planPartition } from '../../plan/index.js';
import { profileModel, saveProfile } from '../../profile/index.js';
import { collect, intOption, numberOption, printJson } from '../options.js';
import { renderManifest } from './build.js';

interface PartitionFlags {
  output: string; platform: string; sloMs?: number; strategy: string; input?: string[]; runs: number;
  threads: number; cpuScaling: boolean; rss: boolean; json?: boolean; allowSloMiss?: boolean;
}

export function registerPartition(program: Command): void {
  program.command('partition')
    .description('profile + plan + build in one step; writes DIR/profile.json, DIR/plan.json, the function files and DIR/manifest.json')
    .argument('<model>', 'ONNX file')
    .requiredOption('-o, --output <dir>', 'partition directory to write')
    .option('--platform <id>', 'aws-lambda | gcp-cloud-run | alibaba-fc | openfaas', 'aws-lambda')
    .option('--slo-ms <n>', 'end-to-end latency SLO in ms (default: the unsplit model at 1 vCPU)', numberOption('--slo-ms'))
    .option('--strategy <s>', 'mopar | unsplit | uniform:K | layerwise | gillis | amps', 'mopar')
    .option('--input <name=dims>', 'fix an input shape, e.g. input_ids=1,128 (repeatable)', collect)
    .option('--runs <n>', 'timed profiling runs', intOption('--runs'), 5)
    .option('--threads <n>', 'intra-op threads for profiling', intOption('--threads'), 1)
    .option('--no-cpu-scaling', 'skip profiling latency at other CPU shares')
    .option('--no-rss', 'skip measuring peak RSS in a separate process')
    .option('--allow-slo-miss', "build the strategy's fastest plan when it cannot meet the SLO instead of failing")
    .option('--json', 'print the manifest as one JSON document')
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
      const plan = planPartition(profile, { platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, allowSloMiss: opts.allowSloMiss, graph });
      log(`plan: ${plan.functions.length} functions, predicted ${plan.predicted.latencyMs} ms, $${plan.predicted.costPerMillionUSD} per million (unsplit ${plan.unsplit.latencyMs} ms, $${plan.unsplit.costPerMillionUSD}) (${secs()} s)`);
      mkdirSync(opts.output, { recursive: true });
      saveProfile(profile, join(opts.output, 'profile.json'));
      writeFileSync(join(opts.output, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
      const manifest = await buildPartition(modelPath, plan, opts.output);
      if (opts.json) printJson(manifest);
      else process.stdout.write(`${renderManifest(manifest)}\n`);
      log(`partitioned into ${opts.output} in ${secs()} s (check it with: mopar verify ${modelPath} ${opts.output})`);
    });
}
