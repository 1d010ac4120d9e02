import type { Command } from 'commander';
import { MoparError } from '../../core/index.js';
import { partitionFleet, partitionModel, type FleetLayout, type PartitionedFleet } from '../../partition/index.js';
import { log, loadWarning } from '../../core/index.js';
import { renderAlternatives } from '../../plan/index.js';
import { examples, fleetLayoutOption, inputOption, jsonOption, maxBatchOption, outputOption, planOptions, platformOption, printJson, profilingFrom, profilingOptions, type ProfilingFlags } from '../options.js';
import { renderManifest } from './build.js';

interface PartitionFlags extends ProfilingFlags {
  output: string; platform: string; sloMs?: number; coldSloMs?: number; strategy: string; json?: boolean; allowSloMiss?: boolean; maxBatch?: number; profile?: string; fleetLayout?: FleetLayout;
}

export function registerPartition(program: Command): void {
  const cmd = program.command('partition')
    .description('profile + plan + build in one step; writes DIR/profile.json, DIR/plan.json, the function files and DIR/manifest.json. Several models: partitioned together, the part they share (same ops and weights, from the input on) one function stored once; writes DIR/fleet.json and DIR/NAME.manifest.json per model')
    .argument('<models...>', 'ONNX file(s)');
  outputOption(cmd, 'dir', 'partition directory to write', true);
  platformOption(cmd);
  planOptions(cmd, 'build');
  maxBatchOption(cmd);
  inputOption(cmd);
  // A saved profile makes repeated partitions plan from the same measurements (re-profiling under another load
  // gives another plan).
  cmd.option('--profile <file>', 'use a saved profile (mopar profile -o, or an earlier DIR/profile.json) instead of profiling now');
  profilingOptions(cmd, 'without --profile');
  cmd.option('--fleet-layout <layout>', 'several models: switch (default: one function holds the shared part and every model\'s own part, each request runs only its own; where it fits one function) or prefix (the shared part\'s functions, each model\'s own functions)', fleetLayoutOption);
  jsonOption(cmd, 'the manifest as one JSON document');
  examples(cmd, [
    'mopar partition model.onnx -o model.parts',
    'mopar partition bert.onnx --input input_ids=1,128 --platform aws-lambda --slo-ms 300 -o bert.parts',
    'mopar partition model.onnx --profile model.parts/profile.json --slo-ms 50 -o model.50ms.parts',
    'mopar partition cats.onnx dogs.onnx birds.onnx -o fleet.parts   # fine-tuned variants of one backbone',
  ]);
  cmd
    .action(async (models: string[], opts: PartitionFlags) => {
      const t0 = performance.now();
      const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
      if (models.length > 1) {
        if (opts.profile) throw new MoparError('--profile takes one model; several models are profiled part by part');
        const layout = opts.fleetLayout;
        const r = await partitionFleet(models, opts.output, {
          profiling: profilingFrom(opts),
          plan: { platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, coldSloMs: opts.coldSloMs, allowSloMiss: opts.allowSloMiss, maxBatch: opts.maxBatch },
          ...(layout ? { layout } : {}),
        });
        if (opts.json) printJson({ ...r.fleet, filesBytes: r.filesBytes, manifests: r.manifests });
        else process.stdout.write(`${renderFleet(r)}\n`);
        log(`partitioned ${models.length} models into ${opts.output} in ${secs()} s (check one with: mopar verify ${models[0]} ${opts.output} --model ${r.fleet.models[0]!.name})`);
        return;
      }
      if (opts.fleetLayout) throw new MoparError('--fleet-layout applies to several models partitioned together');
      const modelPath = models[0]!;
      const { manifest, plan, profile } = await partitionModel(modelPath, {
        profiling: profilingFrom(opts),
        profileFile: opts.profile ? { path: opts.profile, mode: 'use' } : undefined,
        plan: { platform: opts.platform, strategy: opts.strategy, sloMs: opts.sloMs, coldSloMs: opts.coldSloMs, allowSloMiss: opts.allowSloMiss, alternatives: true, maxBatch: opts.maxBatch },
        outDir: opts.output,
        writeRecords: true,
        onPlan: (plan) => log(`plan: ${plan.functions.length} functions, predicted ${plan.predicted.latencyMs} ms, $${plan.predicted.costPerMillionUSD} per million (unsplit ${plan.unsplit.latencyMs} ms, $${plan.unsplit.costPerMillionUSD}) (${secs()} s)`),
      });
      if (opts.json) printJson(manifest!);
      else process.stdout.write(`${renderManifest(manifest!)}\n\n${renderAlternatives(plan)}\n${profile.load?.loaded ? `warning: ${loadWarning(profile.load, 'the profiled timings this plan rests on')}\n` : ''}`);
      log(`partitioned into ${opts.output} in ${secs()} s (check it with: mopar verify ${modelPath} ${opts.output})`);
    });
}

function renderFleet(r: PartitionedFleet): string {
  const c = r.fleet.cut;
  return [
    `${r.fleet.models.length} models share their first ${c.sharedNodes} nodes; ${r.fleet.layout === 'switch' ? 'one function holds the shared part and every model\'s own part' : `${r.fleet.shared.length} file(s) shared`}; ${(r.filesBytes / 2 ** 20).toFixed(2)} MiB of function files`,
    ...r.manifests.map((m) => renderManifest(m)),
  ].join('\n\n');
}
