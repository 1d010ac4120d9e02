import type { Command } from 'commander';
import { buildPartition, readPlan, type Manifest } from '../../partition/index.js';
import { log } from '../../core/index.js';
import { examples, jsonOption, outputOption, printJson, table } from '../options.js';

export function registerBuild(program: Command): void {
  const cmd = program.command('build')
    .description('write one standalone ONNX file per planned function (named by content hash) + DIR/manifest.json')
    .argument('<model>', 'ONNX file the plan was made for')
    .requiredOption('--plan <file>', 'plan JSON (mopar plan -o)');
  outputOption(cmd, 'dir', 'partition directory to write', true);
  jsonOption(cmd, 'the manifest as one JSON document');
  examples(cmd, ['mopar plan model.onnx -o plan.json && mopar build model.onnx --plan plan.json -o model.parts']);
  cmd
    .action(async (modelPath: string, opts: { plan: string; output: string; json?: boolean }) => {
      const t0 = performance.now();
      const manifest = await buildPartition(modelPath, readPlan(opts.plan), opts.output);
      if (opts.json) printJson(manifest);
      else process.stdout.write(`${renderManifest(manifest)}\n`);
      log(`built ${manifest.functions.length} functions into ${opts.output} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}

export function renderManifest(m: Manifest): string {
  const rows = m.functions.map((f) => [
    f.name, f.group, f.split ? `${f.split.kind} ${f.split.index + 1}/${f.split.parts}` : '', f.nodeCount ?? '',
    (f.weightsBytes / 2 ** 20).toFixed(2), f.memoryMB, f.vcpu, f.inputs.length, f.outputs.length, f.file,
  ]);
  const mb = ((m.filesBytes ?? 0) / 2 ** 20).toFixed(2);
  return [
    `${m.model}: ${m.functions.length} functions, ${new Set(m.functions.map((f) => f.group)).size} groups, ${m.edges.length} edges, ` +
      `${mb} MiB of function files${m.dedupedFiles ? ` (${m.dedupedFiles} shared)` : ''}   strategy ${m.strategy}, platform ${m.platform}`,
    '',
    table(['function', 'group', 'split', 'nodes', 'weights MiB', 'memory MB', 'vCPU', 'in', 'out', 'file'], rows),
  ].join('\n');
}
