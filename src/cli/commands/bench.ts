import type { Command } from 'commander';
import { MoparError } from '../../core/index.js';
import { examples, hiddenAlias, intOption, jsonOption, list, numberOption, outputOption, printJson } from '../options.js';

export function registerBench(program: Command): void {
  const cmd = program.command('bench')
    .description('the evaluation: every model × platform × strategy built, verified, served and measured');
  outputOption(cmd, 'dir', 'output directory (report.json, report.md, report.html, charts/)', true);
  cmd
    .option('--models <list>', 'comma-separated zoo models; NAME:tiny for tiny variants')
    .option('--platforms <list>', 'comma-separated platform ids (default: all)');
  hiddenAlias(cmd, '--platform <list>', 'platforms');
  examples(cmd, ['mopar bench --quick -o bench-out', 'mopar bench --models vgg16,bert --platforms aws-lambda,openfaas -o bench-out',
    'mopar bench --workload --quick -o docs/results/workload-quick', 'mopar bench --workload apps.json --models mobilenetv2 --platforms gcp-cloud-run -o out']);
  cmd
    .option('--strategies <list>', 'comma-separated strategies')
    .option('--quick', 'tiny models + three full-size ones on two platforms (a smoke run of ~10 minutes)')
    .option('--fresh', 're-run cells that are already measured')
    .option('--warm <n>', 'warm requests per cell', intOption('--warm'))
    .option('--cold <n>', 'cold requests per cell', intOption('--cold', 0))
    .option('--sweep', 'per model × platform, a ladder of SLOs; every strategy\'s cheapest deployment at each, measured interleaved (with --quick: tiny models, two steps)')
    .option('--steps <n>', 'SLO steps of --sweep (default 6; --quick 2)', intOption('--steps', 1))
    .option('--workload [file]', 'multi-SLO batching: applications (an apps file, or the built-in 4-application workload) sharing the first of --models, each batching strategy served and driven by a bounded load generator (docs/batching.md)')
    .option('--duration <s>', 'with --workload: seconds of arrivals per cell (default 20; --quick 12)', numberOption('--duration', 0.1))
    .option('--max-requests <n>', 'with --workload: at most this many requests per cell (default 2000)', intOption('--max-requests', 1))
    .option('--rate-scales <list>', 'with --workload: multipliers of every application\'s rate, one cell each (default 0.5,2)')
    .option('--seed <n>', 'with --workload: seed of the arrivals (default 1)', intOption('--seed', 0));
  jsonOption(cmd, 'the report as one JSON document');
  cmd.action(async (opts: { output: string; models?: string; platforms?: string; strategies?: string; quick?: boolean; fresh?: boolean; warm?: number; cold?: number; json?: boolean; sweep?: boolean; steps?: number;
    workload?: string | boolean; duration?: number; maxRequests?: number; rateScales?: string; seed?: number }) => {
      // Loaded on use: the chart stack costs every other verb half a second of start-up.
      const bench = await import('../../bench/index.js');
      if (opts.workload !== undefined) {
        if (opts.sweep) throw new MoparError('--workload and --sweep are two different benches: give one');
        const { readAppsFile } = await import('../../plan/index.js');
        const apps = typeof opts.workload === 'string' ? readAppsFile(opts.workload) : bench.QUICK_WORKLOAD;
        const [spec] = opts.models ? list(opts.models) : ['mobilenetv2'];
        const [model, variant] = spec!.split(':');
        const scales = opts.rateScales ? list(opts.rateScales).map((x) => numberOption('--rate-scales', 1e-9)(x)) : bench.QUICK_RATE_SCALES;
        const report = await bench.runWorkloadBench({
          apps, model: model!, tiny: variant === 'tiny', platforms: opts.platforms ? list(opts.platforms) : bench.QUICK_WORKLOAD_PLATFORMS,
          rateScales: scales, durationMs: (opts.duration ?? (opts.quick ? 12 : 20)) * 1000, maxRequests: opts.maxRequests ?? 2000,
          seed: opts.seed ?? 1, batchSizes: [1, 2, 4, 8],
        });
        await bench.writeWorkloadReport(opts.output, report);
        if (opts.json) printJson({ ...report, workload: report.rows });
        else process.stdout.write(`${bench.workloadHeadline(report).map((l) => `- ${l}`).join('\n')}\nreport: ${opts.output}/report.md, ${opts.output}/report.html\n`);
        return;
      }
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
