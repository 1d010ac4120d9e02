import type { Command } from 'commander';
import { MoparError } from '../../core/index.js';
import { examples, fleetLayoutOption, hiddenAlias, intOption, jsonOption, list, numberOption, outputOption, printJson, scaleOutOption } from '../options.js';

export function registerBench(program: Command): void {
  const cmd = program.command('bench')
    .description('the evaluation: every model × platform × strategy built, verified, served and measured');
  outputOption(cmd, 'dir', 'output directory (report.json, report.md, report.html, charts/)', true);
  cmd
    .option('--models <list>', 'comma-separated zoo models; NAME:tiny for tiny variants')
    .option('--platforms <list>', 'comma-separated platform ids (default: all)');
  hiddenAlias(cmd, '--platform <list>', 'platforms');
  examples(cmd, ['mopar bench --quick -o bench-out', 'mopar bench --models vgg16,bert --platforms aws-lambda,openfaas -o bench-out',
    'mopar bench --workload --quick -o docs/results/workload-quick', 'mopar bench --fleet --variants 4 -o fleet-out', 'mopar bench --workload apps.json --models mobilenetv2 --platforms gcp-cloud-run -o out']);
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
    .option('--seed <n>', 'with --workload or --fleet: seed of the arrivals (default 1)', intOption('--seed', 0))
    .option('--concurrency <n>', 'with --workload: requests in flight per instance of the measured \'concurrency\' baseline (default: the platform\'s, Cloud Run 80; platforms without request concurrency have no such row)', intOption('--concurrency'))
    .option('--fleet', 'N variants of one model (last stage and classifier differ) with sparse Poisson traffic each: separate deployments vs one fleet sharing the prefix, on the same arrivals (with --quick: tiny, seconds)')
    .option('--variants <n>', 'with --fleet: how many variants (default 4; --quick 3)', intOption('--variants', 2))
    .option('--head <part>', 'with --fleet: what the variants fine-tune: last-stage (layer4 and classifier, default) or classifier', (v: string) => {
      if (v !== 'last-stage' && v !== 'classifier') throw new MoparError(`--head must be last-stage or classifier, got '${v}'`);
      return v;
    })
    .option('--fleet-layout <layout>', 'with --fleet: how the fleet side is laid out: switch (default, one function) or prefix (shared prefix functions + each variant\'s own)', fleetLayoutOption)
    .option('--scale-out <policy>', 'with --fleet: the pools\' scale-out policy on both sides, eager (default) or patient (serve --scale-out)', scaleOutOption)
    .option('--rate <r>', 'with --fleet: requests per second of each variant (default 0.05; --quick 1)', numberOption('--rate', 1e-6))
    .option('--keep-alive <s>', 'with --fleet: seconds an idle instance stays loaded (default 15; --quick 1)', numberOption('--keep-alive', 0))
    .option('--slo-ms <ms>', 'with --fleet: the requests\' latency SLO (default 2000; --quick 10000)', numberOption('--slo-ms', 1));
  jsonOption(cmd, 'the report as one JSON document');
  cmd.action(async (opts: { output: string; models?: string; platforms?: string; strategies?: string; quick?: boolean; fresh?: boolean; warm?: number; cold?: number; json?: boolean; sweep?: boolean; steps?: number;
    workload?: string | boolean; duration?: number; maxRequests?: number; rateScales?: string; seed?: number; concurrency?: number;
    fleet?: boolean; variants?: number; head?: 'last-stage' | 'classifier'; fleetLayout?: 'switch' | 'prefix'; scaleOut?: 'eager' | 'patient'; rate?: number; keepAlive?: number; sloMs?: number }) => {
      // Loaded on use: the chart stack costs every other verb half a second of start-up.
      const bench = await import('../../bench/index.js');
      if (opts.fleet) {
        if (opts.workload !== undefined || opts.sweep) throw new MoparError('--fleet, --workload and --sweep are different benches: give one');
        const d = { ...bench.FLEET_DEFAULTS, ...(opts.quick ? bench.FLEET_QUICK : {}) };
        const [model, variant] = (opts.models ? list(opts.models)[0]! : d.model).split(':');
        const report = await bench.runFleetBench({
          out: opts.output, model: model!, tiny: variant === 'tiny' || (opts.quick === true && variant === undefined && !opts.models), quick: opts.quick === true,
          variants: opts.variants ?? d.variants, head: opts.head, layout: opts.fleetLayout ?? 'switch', platform: opts.platforms ? list(opts.platforms)[0]! : d.platform, ratePerSec: opts.rate ?? d.ratePerSec,
          durationMs: (opts.duration ?? d.durationS) * 1000, maxRequests: opts.maxRequests ?? 2000, sloMs: opts.sloMs ?? d.sloMs,
          keepWarmMs: (opts.keepAlive ?? d.keepAliveS) * 1000, seed: opts.seed ?? d.seed, ...(opts.scaleOut ? { scaleOut: opts.scaleOut } : {}),
        });
        bench.writeFleetReport(opts.output, report);
        if (opts.json) printJson(bench.fleetJson(report));
        else process.stdout.write(`${bench.fleetHeadline(report).map((l) => `- ${l}`).join('\n')}\nreport: ${opts.output}/report.md, ${opts.output}/report.json\n`);
        return;
      }
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
          seed: opts.seed ?? 1, batchSizes: [1, 2, 4, 8], ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
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
