import type { Command } from 'commander';
import { assertVerified, fleetManifest, isFleet, loadFleet, verifyPartition, type VerifyOptions, type VerifyResult } from '../../partition/index.js';
import { MoparError, loadWarning } from '../../core/index.js';
import { furthestFromPlan, measureVerify, type VerifyMeasurement } from '../../bench/index.js';
import { parseInputFlags } from '../../graph/index.js';
import { collect, examples, intOption, jsonOption, numberOption, printJson, table } from '../options.js';

export function registerVerify(program: Command): void {
  const cmd = program.command('verify')
    .description('run the partitioned pipeline against the unsplit model on random inputs (exit 1 unless every output is allclose: |a − b| ≤ atol + rtol·|b|)')
    .argument('<model>', 'the unsplit ONNX file')
    .argument('<dir>', 'partition directory (with manifest.json, or a fleet\'s fleet.json: then name the model with --model)')
    .option('--model <name>', 'in a fleet (mopar partition A.onnx B.onnx … -o DIR): the model of DIR/fleet.json that MODEL is')
    .option('--runs <n>', 'random inputs to try, seeds seed..seed+n-1', intOption('--runs'), 3)
    .option('--seed <n>', 'first random seed', intOption('--seed', 0), 1)
    .option('--tolerance <x>', 'rtol of the allclose rule', numberOption('--tolerance'), 1e-4)
    .option('--atol-scale <x>', 'atol = this × max|unsplit output|, per output', numberOption('--atol-scale'), 1e-5)
    .option('--batch <n>', 'batch size of the random inputs (default: the batch it was built for; needs a dynamic batch)', intOption('--batch'))
    .option('--input <name=dims>', 'shape of an input\'s random values, e.g. input_ids=2,64 (repeatable): any size within the ranges it was partitioned with (--input NAME=LO..HI); default: the shapes it was built for', collect)
    .option('--optimization <level>', 'onnxruntime optimisation on both sides: all (as deployed) | extended | basic | disabled (bit-exact check)', 'all')
    .option('--measure', 'also serve DIR on the embedded runtime (each function under its plan\'s limits) and measure it with sequential binary requests, beside the plan\'s prediction')
    .option('--requests <n>', 'with --measure: requests sent (p99 needs 100 or more)', intOption('--requests'), 200);
  jsonOption(cmd);
  examples(cmd, ['mopar verify model.onnx model.parts', 'mopar verify model.onnx model.parts --runs 10 --optimization disabled --json',
    'mopar verify model.onnx model.parts --batch 4', 'mopar verify model.onnx model.parts --measure --requests 500 --json',
    'mopar verify b.onnx fleet.parts --model b']);
  cmd.action(async (modelPath: string, dir: string, opts: { runs: number; seed: number; tolerance: number; atolScale: number; batch?: number; input?: string[]; optimization: string; json?: boolean; measure?: boolean; requests: number; model?: string }) => {
      dir = fleetModel(dir, opts.model);
      if (!['all', 'extended', 'basic', 'disabled'].includes(opts.optimization)) {
        throw new MoparError(`--optimization must be all, extended, basic or disabled, got '${opts.optimization}'`);
      }
      const r = await verifyPartition(modelPath, dir, {
        runs: opts.runs, seed: opts.seed, tolerance: opts.tolerance, atolScale: opts.atolScale, batch: opts.batch, optimization: opts.optimization as VerifyOptions['optimization'],
        ...(opts.input ? { inputShapes: parseInputFlags(opts.input) } : {}),
      });
      // Measured only once the outputs are right: a fast wrong answer is not worth timing.
      const m = r.ok && opts.measure ? await measureVerify(dir, opts.requests) : undefined;
      if (opts.json) printJson(m ? { ...r, ...m } : r);
      else process.stdout.write(`${render(r)}\n${m ? `\n${renderMeasure(m)}\n` : ''}`);
      assertVerified(r);
    });
}

/** A fleet folder's model named by --model: its manifest file (the one reader takes a manifest path too). */
function fleetModel(dir: string, model: string | undefined): string {
  if (!isFleet(dir)) {
    if (model !== undefined) throw new MoparError(`--model ${model}: ${dir} is not a fleet (no fleet.json; built by mopar partition A.onnx B.onnx … -o DIR)`);
    return dir;
  }
  if (model === undefined) throw new MoparError(`${dir} holds several models (${loadFleet(dir).models.map((m) => m.name).join(', ')}): name the one to verify with --model`);
  return fleetManifest(dir, model);
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

function renderMeasure(m: VerifyMeasurement): string {
  const f = (x: number) => x.toFixed(2);
  const here = m.predicted.servedHere;
  const handOffs = here.plannedHandOffMs > 0;
  return [
    `served on this machine, ${m.requests} sequential binary requests (${m.platform} limits per function${m.billedFrom === 'one-at-a-time' ? '; cost billed from a one-function-at-a-time pass, as parallel sub-slices share these cores' : ''}):`,
    table(['', 'p50 ms', 'p99 ms', '$ per 1M'], [
      [m.measuredAs === 'composed' ? 'measured (composed)' : 'measured', f(m.measured.p50Ms), f(m.measured.p99Ms), m.measured.costPerMillionUSD.toFixed(4)],
      [`predicted for ${m.platform}`, f(m.predicted.latencyMs), m.predicted.p99Ms === null ? '—' : f(m.predicted.p99Ms), m.predicted.costPerMillionUSD.toFixed(4)],
      ...(handOffs ? [['predicted as served here', f(here.latencyMs), here.p99Ms === null ? '—' : f(here.p99Ms), '—']] : []),
      [`measured ÷ predicted for ${m.platform}`, f(m.ratio.p50), '', f(m.ratio.cost)],
      ...(handOffs ? [['measured ÷ predicted as served here', f(m.ratio.p50Here), m.ratio.p99Here === null ? '' : f(m.ratio.p99Here), '']] : []),
    ]),
    handOffs
      ? `the plan's hand-offs take ${f(here.plannedHandOffMs)} ms as ${m.platform} performs them, which this machine cannot run; ` +
        `served here they are priced as shared-memory segments, ${f(here.handOffMs)} ms (the plan's shm transport model, ` +
        `${here.shmFiguresOf}'s figures). Like with like: measured ÷ predicted as served here, p50 ${f(m.ratio.p50Here)}`
      : 'one function, no hand-offs: the prediction is the same served here (like with like)',
    ...(m.composition ? [composed(m)] : []),
    ...(m.functions.length > 1 ? [furthest(m)] : []),
    ...(m.errors ? [`${m.errors} request(s) failed`] : []),
    ...(m.load.loaded ? [`warning: ${loadWarning(m.load, 'these timings')}`] : []),
  ].join('\n');
}

/** Where the milliseconds went: the functions whose host runs exceeded their planned compute the most. */
function furthest(m: VerifyMeasurement): string {
  const f = (x: number) => x.toFixed(2);
  const top = furthestFromPlan(m.functions);
  return `\nthe ${top.length} of ${m.functions.length} functions whose runs were furthest above their planned compute (medians; --json lists all):\n` +
    table(['function', 'vCPU', 'planned ms', 'run ms', 'run ÷ plan', 'call ms', 'planned hand-in ms'], top.map((x) => [
      x.name, String(x.vcpu), f(x.predicted.computeMs), f(x.measured.runMs), x.runRatio === null ? '—' : f(x.runRatio), f(x.measured.callMs), f(x.predicted.handInMs),
    ]));
}

/** How the composition was made, and how it compared with the concurrent run where there was one. */
function composed(m: VerifyMeasurement): string {
  const c = m.composition!;
  const width = `${c.parallel.functions} functions at once need ${c.parallel.vcpu} vCPU, this machine has ${c.cores} cores`;
  if (!c.validation) return `composed: ${width}, so each request ran one function at a time and its latency is composed along the DAG (its calls' longest path plus its overhead outside them)`;
  const v = c.validation;
  return `composed along the DAG from a one-function-at-a-time pass: p50 ${v.composedP50Ms.toFixed(2)} ms, p99 ${c.p99Ms.toFixed(2)} ms; ` +
    `served concurrently (${width}): p50 ${v.servedP50Ms.toFixed(2)} ms, served ÷ composed ${v.ratio.toFixed(2)}`;
}
