import type { Command } from 'commander';
import { buildGraph, inspectGraph, loadModel, runtimeProblems, type ModelFacts } from '../../graph/index.js';
import { DEFAULT_MAX_BATCH } from '../../plan/index.js';
import { examples, jsonOption, printJson, table } from '../options.js';

type InspectFacts = ModelFacts & { runtimeProblems?: string[] };

export function registerInspect(program: Command): void {
  const cmd = program.command('inspect')
    .description('facts of an ONNX file: parameters, nodes, operator histogram, inputs and outputs, batch, constant subgraphs, shared weights')
    .argument('<model>', 'ONNX file')
    .option('--no-runtime-check', 'skip loading the model in onnxruntime (which reports ops it cannot run)');
  jsonOption(cmd);
  examples(cmd, ['mopar inspect model.onnx', 'mopar inspect model.onnx --json']);
  cmd.action(async (modelPath: string, opts: { json?: boolean; runtimeCheck: boolean }) => {
      const loaded = loadModel(modelPath);
      const facts: InspectFacts = inspectGraph(buildGraph(loaded.proto));
      if (opts.runtimeCheck) facts.runtimeProblems = await runtimeProblems(loaded.path);
      if (opts.json) printJson(facts);
      else process.stdout.write(`${render(modelPath, facts)}\n`);
    });
}

/**
 * Which input dims are symbolic, and the `--input` that keeps them so: a range LO..HI per symbolic dim (the batch
 * as 1..max batch), fixed dims as they are. Every verb that runs the model needs one where a non-leading dim is
 * symbolic.
 */
function rangeHints(inputs: ModelFacts['inputs']): string[] {
  const sym = inputs.filter((t) => t.shapeKnown && t.shape.some((d) => typeof d === 'string'));
  if (!sym.length) return [];
  const dims = (t: ModelFacts['inputs'][number]) => t.shape.flatMap((d, i) => (typeof d === 'string' ? [`${i}${/^\?\d*$/.test(d) ? '' : ` (${d})`}`] : []));
  const flag = (t: ModelFacts['inputs'][number]) => `--input ${t.name}=${t.shape.map((d, i) => (typeof d !== 'string' ? String(d) : i === 0 ? `1..${DEFAULT_MAX_BATCH}` : 'LO..HI')).join(',')}`;
  return [
    '',
    ...sym.map((t) => `  symbolic  ${t.name} dim${dims(t).length > 1 ? 's' : ''} ${dims(t).join(', ')}`),
    `  ranges    keep them symbolic, served anywhere in LO..HI (sized at HI): ${sym.map(flag).join(' ')}`,
    '            or fix a dim with a single size (e.g. 1..8 → 1)',
  ];
}

function render(path: string, f: InspectFacts): string {
  // Unknown shapes and dims print as '?' (a '[]' would read as a scalar).
  const dim = (d: number | string) => (typeof d === 'string' && /^\?\d*$/.test(d) ? '?' : String(d));
  const io = (xs: ModelFacts['inputs']) => xs.map((t) => [t.name, t.dtype, t.shapeKnown ? `[${t.shape.map(dim).join(', ')}]` : '?']);
  const opsets = Object.entries(f.opsets).map(([d, v]) => `${d} ${v}`).join(', ');
  const batch = f.batch === 'dynamic' ? 'dynamic' : `${f.batch}${f.batchFixedBy ? ` (${f.batchFixedBy})` : ''}`;
  const runtime = f.runtimeProblems === undefined ? 'not checked'
    : f.runtimeProblems.length ? `onnxruntime cannot run it: ${f.runtimeProblems.join(', ')}` : 'onnxruntime runs every op';
  return [
    `${path}`,
    `  producer  ${f.producer || '(unknown)'}   IR ${f.irVersion}   opsets ${opsets}`,
    `  params    ${f.params.toLocaleString('en-US')} (${(f.paramBytes / 2 ** 20).toFixed(1)} MiB)`,
    `  nodes     ${f.nodes}${f.subgraphNodes ? ` (+${f.subgraphNodes} in subgraphs)` : ''}`,
    `  batch     ${batch}${f.symbolicDims.length ? `   symbolic dims: ${f.symbolicDims.join(', ')}` : ''}`,
    `  weights   ${f.constantSubgraphs} nodes compute only from constants (folded into weights for partitioning); ` +
      `${f.sharedWeights} shared${f.tiedWeights.length ? `, tied across op types: ${f.tiedWeights.slice(0, 5).join(', ')}${f.tiedWeights.length > 5 ? ', …' : ''}` : ''}`,
    `  runtime   ${runtime}`,
    '',
    table(['input', 'dtype', 'shape'], io(f.inputs)),
    ...rangeHints(f.inputs),
    '',
    table(['output', 'dtype', 'shape'], io(f.outputs)),
    '',
    table(['op', 'count'], Object.entries(f.ops)),
  ].join('\n');
}
