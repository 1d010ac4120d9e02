import type { Command } from 'commander';
import { MoparError, log } from '../../core/index.js';
import { DEFAULT_BATCH_SIZES, profileModel, renderBatchProfile, saveProfile, plotTimeline, renderProfile } from '../../profile/index.js';
import { examples, inputOption, jsonOption, outputOption, printJson, profilingFrom, profilingOptions, type ProfilingFlags } from '../options.js';

interface ProfileFlags extends ProfilingFlags {
  json?: boolean;
  output?: string;
  plot?: string;
  attribution: string;
  batch?: string | boolean;
}

/** `--batch` alone: the default sizes; `--batch 1,2,4,8,16,32`: those. */
function batchSizesOf(flag: string | boolean | undefined): number[] | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true) return [...DEFAULT_BATCH_SIZES];
  const sizes = flag.split(',').map((x) => Number(x.trim()));
  if (sizes.length === 0 || sizes.some((b) => !Number.isInteger(b) || b < 1 || b > 4096)) {
    throw new MoparError(`--batch takes batch sizes like 1,2,4,8 (integers 1–4096), got '${flag}'`);
  }
  return sizes;
}

export function registerProfile(program: Command): void {
  const cmd = program.command('profile')
    .description('per-node latency and memory, RD operators, layers and their resource vectors')
    .argument('<model>', 'ONNX file');
  inputOption(cmd);
  profilingOptions(cmd);
  jsonOption(cmd, 'the profile as one JSON document');
  outputOption(cmd, 'file', 'save the profile as JSON (reusable by plan --profile)', false);
  cmd
    .option('--plot <file>', 'write the memory timeline chart (.svg or .png)')
    .option('--batch [sizes]', `also measure latency at batch sizes (default ${DEFAULT_BATCH_SIZES.join(',')}; needs a dynamic batch dim)`)
    .option('--attribution <mode>', 'per-node time: unoptimised-scaled | optimised-mapped', 'unoptimised-scaled');
  examples(cmd, [
    'mopar profile model.onnx',
    'mopar profile model.onnx --runs 20 -o profile.json --plot memory.svg',
    'mopar profile bert.onnx --batch 1,2,4,8 -o bert.profile.json',
  ]);
  cmd
    .action(async (modelPath: string, opts: ProfileFlags) => {
      if (opts.attribution !== 'unoptimised-scaled' && opts.attribution !== 'optimised-mapped') {
        throw new MoparError(`--attribution must be unoptimised-scaled or optimised-mapped, got '${opts.attribution}'`);
      }
      if (opts.plot && !/\.(svg|png)$/i.test(opts.plot)) {
        throw new MoparError(`--plot writes .svg or .png, not '${opts.plot}'`);
      }
      const batchSizes = batchSizesOf(opts.batch);
      const profile = await profileModel(modelPath, { ...profilingFrom(opts, ''), batchSizes, attribution: opts.attribution });
      if (opts.output) saveProfile(profile, opts.output);
      if (opts.plot) await plotTimeline(profile, opts.plot);
      if (opts.json) printJson(profile);
      else process.stdout.write(`${renderProfile(profile)}\n${profile.batch ? `\n${renderBatchProfile(profile.batch)}\n` : ''}`);
      log(`profiled in ${profile.profilingSeconds.toFixed(1)} s${opts.output ? `; saved ${opts.output}` : ''}${opts.plot ? `; plot ${opts.plot}` : ''}`);
    });
}
