import type { Command } from 'commander';
import { dirname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { MoparError, log } from '../../core/index.js';
import { defaultZooBatch, writeZooModel, zooModels, DEFAULT_SEED } from '../../zoo/index.js';
import { examples, intOption, jsonOption, outputOption, printJson, table } from '../options.js';

export function registerZoo(program: Command): void {
  const zoo = program.command('zoo').description('the built-in benchmark models (12 architectures in 4 categories, and a production-scale recommender)');
  examples(zoo, ['mopar zoo list', 'mopar zoo build resnet50 -o resnet50.onnx', 'mopar zoo build mobilenetv2 --tiny -o tiny.onnx && mopar partition tiny.onnx -o tiny.parts']);

  const ls = zoo.command('list')
    .description('name, category and parameter count of each zoo model');
  jsonOption(ls);
  examples(ls, ['mopar zoo list', 'mopar zoo list --json']);
  ls.action((opts: { json?: boolean }) => {
      const models = zooModels();
      if (opts.json) { printJson(models.map(({ name, category, params }) => ({ name, category, params }))); return; }
      process.stdout.write(`${table(['name', 'category', 'params', 'published'],
        models.map((m) => [m.name, m.category, `${(m.params / 1e6).toFixed(2)} M`, `${(m.referenceParams / 1e6).toFixed(1)} M`]))}\n`);
    });

  const build = zoo.command('build')
    .description('write a zoo model as ONNX (weights seeded and streamed to the file)')
    .argument('<name>', 'zoo model name (see `mopar zoo list`)');
  outputOption(build, 'file', 'ONNX file to write', true);
  build
    .option('--tiny', 'reduced width/depth/resolution, same block structure (for tests)')
    .option('--seed <n>', 'weight seed', intOption('--seed', 0), DEFAULT_SEED)
    .option('--batch <b>', "'dynamic' (symbolic leading batch dim, as torch.onnx.export with dynamic_axes; default for full-size models) " +
      "or 1 (static shapes; default with --tiny)");
  jsonOption(build);
  examples(build, ['mopar zoo build resnet50 -o resnet50.onnx', 'mopar zoo build bert-base --tiny -o bert-tiny.onnx', 'mopar zoo build resnet50 --batch 1 -o resnet50-static.onnx']);
  build.action((name: string, opts: { output: string; tiny?: boolean; seed: number; batch?: string; json?: boolean }) => {
      if (opts.batch !== undefined && opts.batch !== '1' && opts.batch !== 'dynamic') throw new MoparError(`--batch must be 1 or dynamic, got '${opts.batch}'`);
      const batch = opts.batch === undefined ? defaultZooBatch(!!opts.tiny) : opts.batch === 'dynamic' ? 'dynamic' as const : 1 as const;
      const dir = dirname(opts.output);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MoparError(`output directory does not exist: ${dir}`);
      if (existsSync(opts.output) && statSync(opts.output).isDirectory()) throw new MoparError(`output is a directory: ${opts.output}`);
      const r = writeZooModel(name, opts.output, { tiny: opts.tiny, seed: opts.seed, batch });
      if (opts.json) printJson({ ...r, tiny: !!opts.tiny, seed: opts.seed, batch });
      else log(`wrote ${r.file}: ${r.name}${opts.tiny ? ' (tiny)' : ''}${batch === 'dynamic' ? ' (dynamic batch)' : ''}, ${r.params.toLocaleString('en-US')} params, ` +
        `${(r.bytes / 2 ** 20).toFixed(1)} MiB in ${(r.ms / 1000).toFixed(2)} s`);
    });

  // The CLI's error handling (main.ts) covers top-level verbs; give the sub-verbs the same behaviour.
  for (const c of zoo.commands) c.exitOverride().configureOutput({ outputError: () => {} }).option('--debug', 'show stack traces on errors');
}
