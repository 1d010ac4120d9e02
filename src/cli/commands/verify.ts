import type { Command } from 'commander';
import { assertVerified, verifyPartition, type VerifyOptions, type VerifyResult } from '../../partition/index.js';
import { MoparError } from '../../core/index.js';
import { examples, intOption, jsonOption, numberOption, printJson, table } from '../options.js';

export function registerVerify(program: Command): void {
  const cmd = program.command('verify')
    .description('run the partitioned pipeline against the unsplit model on random inputs (exit 1 unless every output is allclose: |a − b| ≤ atol + rtol·|b|)')
    .argument('<model>', 'the unsplit ONNX file')
    .argument('<dir>', 'partition directory (with manifest.json)')
    .option('--runs <n>', 'random inputs to try, seeds seed..seed+n-1', intOption('--runs'), 3)
    .option('--seed <n>', 'first random seed', intOption('--seed', 0), 1)
    .option('--tolerance <x>', 'rtol of the allclose rule', numberOption('--tolerance'), 1e-4)
    .option('--atol-scale <x>', 'atol = this × max|unsplit output|, per output', numberOption('--atol-scale'), 1e-5)
    .option('--batch <n>', 'batch size of the random inputs (default: the batch it was built for; needs a dynamic batch)', intOption('--batch'))
    .option('--optimization <level>', 'onnxruntime optimisation on both sides: all (as deployed) | extended | basic | disabled (bit-exact check)', 'all');
  jsonOption(cmd);
  examples(cmd, ['mopar verify model.onnx model.parts', 'mopar verify model.onnx model.parts --runs 10 --optimization disabled --json',
    'mopar verify model.onnx model.parts --batch 4']);
  cmd.action(async (modelPath: string, dir: string, opts: { runs: number; seed: number; tolerance: number; atolScale: number; batch?: number; optimization: string; json?: boolean }) => {
      if (!['all', 'extended', 'basic', 'disabled'].includes(opts.optimization)) {
        throw new MoparError(`--optimization must be all, extended, basic or disabled, got '${opts.optimization}'`);
      }
      const r = await verifyPartition(modelPath, dir, {
        runs: opts.runs, seed: opts.seed, tolerance: opts.tolerance, atolScale: opts.atolScale, batch: opts.batch, optimization: opts.optimization as VerifyOptions['optimization'],
      });
      if (opts.json) printJson(r);
      else process.stdout.write(`${render(r)}\n`);
      assertVerified(r);
    });
}

function render(r: VerifyResult): string {
  const rows = Object.entries(r.outputs).map(([name, e]) => [name, e.ok ? 'ok' : e.mismatch ?? 'FAILED', e.maxAbsErr.toExponential(2), e.maxRelErr.toExponential(2), e.atol.toExponential(2)]);
  const w = r.worst ? `; worst element ${r.worst.output}[${r.worst.index}]: ${r.worst.got} vs ${r.worst.want}` : '';
  return [
    `${r.ok ? 'OK' : 'FAILED'}: ${r.functions} functions, ${r.runs} random inputs at batch ${r.batch}, allclose with rtol ${r.rtol}, ` +
      `atol ${r.atol.toExponential(2)}: max abs ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)}${w}`,
    `in-process pipeline ${r.pipelineMs.toFixed(1)} ms vs unsplit ${r.unsplitMs.toFixed(1)} ms per run (informational)`,
    '',
    table(['output', 'allclose', 'max abs err', 'max rel err', 'atol'], rows),
  ].join('\n');
}
