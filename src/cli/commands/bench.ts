import type { Command } from 'commander';
import { examples, hiddenAlias, intOption, jsonOption, list, outputOption, printJson } from '../options.js';

export function registerBench(program: Command): void {
  const cmd = program.command('bench')
    .description('the evaluation: every model × platform × strategy built, verified, served and measured');
  outputOption(cmd, 'dir', 'output directory (report.json, report.md, report.html, charts/)', true);
  cmd
    .option('--models <list>', 'comma-separated zoo models; NAME:tiny for tiny variants')
    .option('--platforms <list>', 'comma-separated platform ids (default: all)');
  hiddenAlias(cmd, '--platform <list>', 'platforms');
  examples(cmd, ['mopar bench --quick -o bench-out', 'mopar bench --models vgg16,bert --platforms aws-lambda,openfaas -o bench-out']);
  cmd
    .option('--strategies <list>', 'comma-separated strategies')
    .option('--quick', 'tiny models + three full-size ones on two platforms (a smoke run of ~10 minutes)')
    .option('--fresh', 're-run cells that are already measured')
    .option('--warm <n>', 'warm requests per cell', intOption('--warm'))
    .option('--cold <n>', 'cold requests per cell', intOption('--cold', 0))
    .option('--sweep', 'per model × platform, a ladder of SLOs; every strategy\'s cheapest deployment at each, measured interleaved (with --quick: tiny models, two steps)')
    .option('--steps <n>', 'SLO steps of --sweep (default 6; --quick 2)', intOption('--steps', 1));
  jsonOption(cmd, 'the report as one JSON document');
  cmd.action(async (opts: { output: string; models?: string; platforms?: string; strategies?: string; quick?: boolean; fresh?: boolean; warm?: number; cold?: number; json?: boolean; sweep?: boolean; steps?: number }) => {
      // Loaded on use: the chart stack costs every other verb half a second of start-up.
      const bench = await import('../../bench/index.js');
      const common = {
        out: opts.output, models: opts.models ? list(opts.models) : undefined, platforms: opts.platforms ? list(opts.platforms) : undefined,
        strategies: opts.strategies ? list(opts.strategies) : undefined, quick: opts.quick,
        warmRequests: opts.warm, coldRequests: opts.cold,
      };
      if (opts.sweep) {
        const { writeSweepReport, sweepMarkdown } = bench;
        const report = await bench.runSweep({ ...common, steps: opts.steps });
        await writeSweepReport(opts.output, report);
        if (opts.json) printJson(report);
        else process.stdout.write(`${sweepMarkdown(report).split('\n## Split bound')[0]}\nreport: ${opts.output}/report.md, ${opts.output}/report.html\n`);
        return;
      }
      const { loadedCellsLine, summaryTable } = bench;
      const report = await bench.runBench({ ...common, fresh: opts.fresh });
      if (opts.json) printJson(report);
      else process.stdout.write(`${summaryTable(report.summary)}\n${loadedCellsLine(report.rows).map((l) => `\n${l}\n`).join('')}\nreport: ${opts.output}/report.md, ${opts.output}/report.html\n`);
    });
}
