import type { Command } from 'commander';
import { buildGraph, inspectGraph, loadModel, type ModelFacts } from '../../graph/index.js';
import { examples, jsonOption, printJson, table } from '../options.js';

export function registerInspect(program: Command): void {
  const cmd = program.command('inspect')
    .description('facts of an ONNX file: parameters, nodes, operator histogram, inputs and outputs')
    .argument('<model>', 'ONNX file');
  jsonOption(cmd);
  examples(cmd, ['mopar inspect model.onnx', 'mopar inspect model.onnx --json']);
  cmd.action((modelPath: string, opts: { json?: boolean }) => {
      const loaded = loadModel(modelPath);
      const facts = inspectGraph(buildGraph(loaded.proto));
      if (opts.json) printJson(facts);
      else process.stdout.write(`${render(modelPath, facts)}\n`);
    });
}

function render(path: string, f: ModelFacts): string {
  // Unknown shapes and dims print as '?' (a '[]' would read as a scalar).
  const dim = (d: number | string) => (typeof d === 'string' && /^\?\d*$/.test(d) ? '?' : String(d));
  const io = (xs: ModelFacts['inputs']) => xs.map((t) => [t.name, t.dtype, t.shapeKnown ? `[${t.shape.map(dim).join(', ')}]` : '?']);
  const opsets = Object.entries(f.opsets).map(([d, v]) => `${d} ${v}`).join(', ');
  return [
    `${path}`,
    `  producer  ${f.producer || '(unknown)'}   IR ${f.irVersion}   opsets ${opsets}`,
    `  params    ${f.params.toLocaleString('en-US')} (${(f.paramBytes / 2 ** 20).toFixed(1)} MiB)`,
    `  nodes     ${f.nodes}${f.subgraphNodes ? ` (+${f.subgraphNodes} in subgraphs)` : ''}`,
    '',
    table(['input', 'dtype', 'shape'], io(f.inputs)),
    '',
    table(['output', 'dtype', 'shape'], io(f.outputs)),
    '',
    table(['op', 'count'], Object.entries(f.ops)),
  ].join('\n');
}
