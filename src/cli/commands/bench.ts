import type { Command } from 'commander';
import { intOption, printJson } from '../options.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function registerBench(program: Command): void {
  program.command('bench')
    .description('the evaluation: every model × platform × strategy built, verified, served and measured')
    .requiredOption('-o, --out <dir>', 'output directory (report.json, report.md, report.html, charts/)')
    .option('--models <list>', 'comma-separated zoo models; NAME:tiny for tiny variants')
    .option('--platform <list>', 'comma-separated platform ids')
    .option('--strategies <list>', 'comma-separated strategies')
    .option('--quick', 'tiny models + three full-size ones on two platforms (a smoke run of ~10 minutes)')
    .option('--fresh', 're-run cells that are already measured')
    .option('--warm <n>', 'warm requests per cell', intOption('--warm'))
    .option('--cold <n>', 'cold requests per cell', intOption('--cold', 0))
    .option('--json', 'print the report as one JSON document')
    .action(async (opts: { out: string; models?: string; platform?: string; strategies?: string; quick?: boolean; fresh?: boolean; warm?: number; cold?: number; json?: boolean }) => {
      // Loaded on use: the chart stack costs every other verb half a second of start-up.
      const { runBench } = await import('../../bench/index.js');
      const { summaryTable } = await import('../../bench/report.js');
      const report = await runBench({
        out: opts.out, models: opts.models ? list(opts.models) : undefined, platforms: opts.platform ? list(opts.platform) : undefined,
        strategies: opts.strategies ? list(opts.strategies) : undefined, quick: opts.quick, fresh: opts.fresh,
        warmRequests: opts.warm, coldRequests: opts.cold,
      });
      if (opts.json) printJson(report);
      else process.stdout.write(`${summaryTable(report.summary)}\n\nreport: ${opts.out}/report.md, ${opts.out}/report.html\n`);
    });
}
