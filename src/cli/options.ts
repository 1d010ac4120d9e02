/**
 * Flags shared by verbs, declared once here so every verb spells, defaults and explains them the same way
 * (docs/contracts.md). Older spellings stay accepted as hidden aliases.
 */
import { Option, type Command } from 'commander';
import { MoparError, log } from '../core/index.js';
import { DEFAULT_MAX_BATCH, PLATFORMS, PLATFORM_VARIANTS, STRATEGY_NAMES, getPlatform, parseStrategy } from '../plan/index.js';
import { DEFAULT_PROFILE_RUNS, type ProfileOptions } from '../profile/index.js';
import { parseInputFlags, parseInputRanges } from '../graph/index.js';
import type { FleetLayout } from '../partition/index.js';
import { measureServedOverhead } from '../bench/index.js';

/** The billing model every verb plans for unless told otherwise. */
export const DEFAULT_PLATFORM = 'gcp-cloud-run';
/** Timed profiling runs after warm-up, for every verb that profiles (the library's one default). */
export const DEFAULT_RUNS = DEFAULT_PROFILE_RUNS;

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function intOption(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new MoparError(`${name} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
}

export function numberOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new MoparError(`${name} must be a number ≥ ${min}, got '${value}'`);
    return n;
  };
}

export const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * An older flag spelling that keeps working, hidden from --help: its value lands in `attribute` unless the
 * new spelling was given too.
 */
export function hiddenAlias(cmd: Command, flags: string, attribute: string): Command {
  const old = new Option(flags).hideHelp();
  cmd.addOption(old);
  const oldAttr = old.attributeName();
  cmd.hook('preAction', (self) => {
    const o = self.opts();
    if (o[oldAttr] !== undefined && self.getOptionValueSource(attribute) !== 'cli') self.setOptionValue(attribute, o[oldAttr]);
  });
  return cmd;
}

/** `-o, --output <what>` (older spelling `--out` still works); `required` is checked after aliases fold in. */
export function outputOption(cmd: Command, what: string, description: string, required: boolean): Command {
  cmd.option(`-o, --output <${what}>`, description);
  hiddenAlias(cmd, `--out <${what}>`, 'output');
  if (required) {
    cmd.hook('preAction', (self) => {
      if (self.opts().output === undefined) self.error(`error: required option '-o, --output <${what}>' not specified`, { code: 'commander.missingMandatoryOptionValue' });
    });
  }
  return cmd;
}

export function jsonOption(cmd: Command, what = 'one JSON document'): Command {
  return cmd.option('--json', `print ${what} on stdout (nothing else goes there)`);
}

export function platformOption(cmd: Command, purpose = 'billing model to plan for'): Command {
  // Checked when the flags are parsed, so a typo fails before any profiling.
  return cmd.option('--platform <id>', `${purpose}: ${[...PLATFORMS, ...PLATFORM_VARIANTS].map((p) => p.id).join(' | ')}`, (id: string) => getPlatform(id).id, DEFAULT_PLATFORM);
}

/** Plan flags: SLO, strategy, and what to do when the SLO cannot be met. */
export function planOptions(cmd: Command, missVerb: string): Command {
  return cmd
    .option('--slo-ms <n>', 'end-to-end latency SLO in ms (default: the unsplit model at 1 vCPU)', numberOption('--slo-ms'))
    .option('--cold-slo-ms <n>', 'latency bound of the first request after idle, cold starts included (docs/cold-starts.md); plans that miss it are rejected', numberOption('--cold-slo-ms'))
    .option('--strategy <s>', STRATEGY_NAMES.join(' | '), (spec: string) => { parseStrategy(spec); return spec; }, 'mopar')
    .option('--allow-slo-miss', `${missVerb} the strategy's fastest plan when it cannot meet the SLO instead of failing`);
}

/**
 * `--max-batch N`: the largest batch a request to a dynamic-batch model may carry; memory is sized for it, larger
 * requests are refused, and `--apps` batching groups stay within it. No commander default: an absent flag lets
 * the library apply DEFAULT_MAX_BATCH to dynamic models only (a fixed-batch model given the flag is an error).
 */
export function maxBatchOption(cmd: Command): Command {
  return cmd.option('--max-batch <n>', `largest batch (leading input dim) a request may carry, for a model with a dynamic batch dim: every function's memory is sized for it, larger requests get 400, and --apps batching groups batch at most this many rows (default ${DEFAULT_MAX_BATCH})`, intOption('--max-batch'));
}

export function inputOption(cmd: Command): Command {
  return cmd.option('--input <name=dims>', 'fix an input shape, e.g. input_ids=1,128 (repeatable)', collect);
}

/** Profiling flags; `suffix` says when they apply (e.g. 'without --profile'). */
export function profilingOptions(cmd: Command, suffix = ''): Command {
  const when = suffix ? ` (${suffix})` : '';
  return cmd
    .option('--runs <n>', `timed profiling runs after warm-up${when}`, intOption('--runs'), DEFAULT_RUNS)
    .option('--threads <n>', `intra-op threads for profiling${when}`, intOption('--threads'), 1)
    .option('--no-cpu-scaling', `skip profiling latency at other thread counts and CPU quotas${when}`)
    .option('--no-rss', `skip measuring peak RSS in a separate process${when}`);
}

/** The flags `profilingOptions` declares (plus `--input`), as commander hands them over. */
export interface ProfilingFlags { input?: string[]; runs: number; threads: number; cpuScaling: boolean; rss: boolean }

/** Profiling flags → the library's one profiling options type, with progress lines on stderr. */
export function profilingFrom(flags: ProfilingFlags, progressPrefix = 'profile '): ProfileOptions {
  const t0 = performance.now();
  return {
    inputShapes: parseInputFlags(flags.input), inputRanges: parseInputRanges(flags.input), runs: flags.runs, threads: flags.threads,
    cpuScaling: flags.cpuScaling, measureRss: flags.rss, measureOverhead: (sizes) => measureServedOverhead(sizes),
    onProgress: (step, i, n) => log(`${progressPrefix}[${i}/${n}] ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
  };
}

/** Examples shown at the end of a verb's --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** Prints exactly one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table with aligned columns. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** `--fleet-layout`: how several models partitioned together are laid out (partition/fleet.ts). */
export function fleetLayoutOption(v: string): FleetLayout {
  if (v !== 'switch' && v !== 'prefix') throw new MoparError(`--fleet-layout must be switch or prefix, got '${v}'`);
  return v;
}

/** `--scale-out`: the pools' policy when every instance is busy (runtime PoolOptions.scaleOut). */
export function scaleOutOption(v: string): 'eager' | 'patient' {
  if (v !== 'eager' && v !== 'patient') throw new MoparError(`--scale-out must be eager or patient, got '${v}'`);
  return v;
}
