/**
 * The partition matrix over real exporter output (issue 13): models written by torch.onnx.export
 * (scripts/export-fixtures.py --full) and by paddle2onnx (the PaddleOCR models of test/fixtures/exported/paddle,
 * copied into DIR as ppocrv4-det.onnx / ppocr-cls.onnx), each profiled once (saved, reused), then per platform × strategy: the
 * plan's functions and parallel groups; for the `--verify` strategies also build + verify at batch 1 and at
 * batch 4 (the partition is built at batch 1). Layers and cut points are set beside the zoo's version of the same
 * architecture where the zoo has one (graph only, nothing measured).
 *   /usr/bin/python3 scripts/export-fixtures.py --full --out /work/cache/exports
 *   node --import tsx bench/real-exporters.ts --dir /work/cache/exports [--models resnet50,vgg16] [--platforms aws-lambda]
 *     [--strategies mopar,uniform:3,layerwise,gillis] [--verify mopar] [--zoo]
 * Writes DIR/real-exporters.json and DIR/real-exporters.md; `--render FILE.json` prints the markdown again.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, openModel } from '../src/graph/index.js';
import { crossings, cutPoints, loadProfile, profileModel, saveProfile, type Profile } from '../src/profile/index.js';
import { planPartition, PLATFORMS } from '../src/plan/index.js';
import { buildPartition, verifyPartition } from '../src/partition/index.js';
import { writeZooModel } from '../src/zoo/index.js';
import { errorMessage } from '../src/core/index.js';

const { values } = parseArgs({ options: {
  dir: { type: 'string', default: '/work/cache/exports' },
  models: { type: 'string' },
  platforms: { type: 'string', default: PLATFORMS.map((p) => p.id).join(',') },
  strategies: { type: 'string', default: 'mopar,uniform:3,layerwise,gillis' },
  verify: { type: 'string', default: 'mopar' },
  zoo: { type: 'boolean', default: false },
  render: { type: 'string' },
} });

/** The zoo model of the same architecture, where there is one. */
const ZOO_TWIN: Record<string, string> = {
  resnet50: 'resnet50', vgg16: 'vgg16', densenet121: 'densenet121', 'efficientnet-b0': 'efficientnet-b0',
  'convnext-tiny': 'convnext-tiny', 'vit-b16': 'vit-b16', 'bert-like': 'bert-base', 'gpt2-like': 'gpt2',
};

/** Models whose inputs have symbolic dims besides the batch: the shapes they are profiled at (batch 1). */
const INPUT_SHAPES: Record<string, Record<string, number[]>> = {
  'ppocrv4-det': { x: [1, 3, 640, 640] }, // PP-OCR's detector resizes to multiples of 32 (960 max side by default)
  'ppocr-cls': { x: [1, 3, 48, 192] }, // the direction classifier's fixed input
};
const exporterOf = (name: string) => (name.startsWith('ppocr') ? 'paddle2onnx' : 'torch.onnx.export');

interface Cell { platform: string; strategy: string; functions?: number; groups?: number; parallelGroups?: number; error?: string;
  verify?: Array<{ batch: number; ok: boolean; maxAbsErr: number; maxRelErr: number; atol: number }> }
interface Row {
  model: string; exporter?: string; params: number; nodes: number; folded: number; layers: number; cutPoints: number; batch: string;
  zoo?: { name: string; layers: number; cutPoints: number }; cells: Cell[]; profileSeconds?: number; error?: string;
}

if (values.render) {
  process.stdout.write(render(JSON.parse(readFileSync(values.render, 'utf8')) as { rows: Row[]; cpu: string }));
  process.exit(0);
}

function render(doc: { rows: Row[]; cpu: string }): string {
  const cells = doc.rows.flatMap((r) => r.cells);
  const strategies = [...new Set(cells.map((c) => c.strategy))];
  const verified = cells.flatMap((c) => c.verify ?? []);
  const lines = [
    `${doc.rows.length} models: ${doc.rows.filter((r) => exporterOf(r.model) !== 'paddle2onnx').length} exported by torch.onnx.export (torch 1.13, opset 14, dynamic batch), ` +
      `${doc.rows.filter((r) => exporterOf(r.model) === 'paddle2onnx').length} by paddle2onnx (PaddleOCR, symbolic batch and image size); CPU: ${doc.cpu}, shared.`,
    `Verified builds: ${verified.filter((v) => v.ok).length}/${verified.length} allclose (rtol 1e-4, atol 1e-5·max|b|, at least 2^-20), ` +
      `max abs ${Math.max(0, ...verified.map((v) => v.maxAbsErr)).toExponential(2)}, max rel ${Math.max(0, ...verified.map((v) => v.maxRelErr)).toExponential(2)}.`,
    '',
    '| model | exporter | params | nodes | folded | layers (zoo) | cut points (zoo) | batch |',
    '|---|---|---|---|---|---|---|---|',
    ...doc.rows.map((r) => `| ${r.model} | ${exporterOf(r.model)} | ${(r.params / 1e6).toFixed(1)} M | ${r.nodes} | ${r.folded} | ${r.layers}${r.zoo ? ` (${r.zoo.name}: ${r.zoo.layers})` : ''} | ` +
      `${r.cutPoints}${r.zoo ? ` (${r.zoo.cutPoints})` : ''} | ${r.batch} |${r.error ? ` ERROR ${r.error} |` : ''}`),
    '',
    `Functions / parallel groups per plan (f/g); ✓N = built and verified at batch 1 and N:`,
    '',
    `| model | platform | ${strategies.join(' | ')} |`, `|---|---|${strategies.map(() => '---|').join('')}`,
  ];
  for (const r of doc.rows) {
    for (const platform of [...new Set(r.cells.map((c) => c.platform))]) {
      const row = strategies.map((s) => {
        const c = r.cells.find((x) => x.platform === platform && x.strategy === s);
        if (!c) return '';
        if (c.error) return `error: ${c.error.slice(0, 60)}`;
        const v = c.verify?.length ? ` ${c.verify.every((x) => x.ok) ? '✓' : '✗'}${c.verify.map((x) => x.batch).join(',')}` : '';
        return `${c.functions}f/${c.parallelGroups}g${v}`;
      });
      lines.push(`| ${r.model} | ${platform} | ${row.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function graphFacts(path: string, inputShapes: Record<string, number[]> = {}): Promise<{ layers: number; cutPoints: number; folded: number; nodes: number; batch: string }> {
  const { graph, folded } = await openModel(path, inputShapes);
  const cuts = cutPoints(graph, crossings(graph));
  return { layers: cuts.length + 1, cutPoints: cuts.length, folded, nodes: graph.nodes.length,
    batch: graph.batch?.dynamic ? 'dynamic' : `fixed (${graph.batch?.why ?? '?'})` };
}

const dir = values.dir!;
const models = values.models?.split(',') ?? readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => f.replace(/\.onnx$/, '')).sort();
const out = join(dir, 'real-exporters.json');
const doc: { rows: Row[]; cpu: string } = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { rows: [], cpu: '' };
doc.cpu = cpus()[0]?.model ?? 'unknown';
for (const name of models) {
  const model = join(dir, `${name}.onnx`);
  const t0 = performance.now();
  let row: Row;
  try {
    const inputShapes = INPUT_SHAPES[name];
    const facts = await graphFacts(model, inputShapes);
    const pfile = join(dir, `${name}.profile.json`);
    let profile: Profile;
    try { profile = loadProfile(pfile, loadModel(model).hash); } catch {
      profile = await profileModel(model, { inputShapes, runs: 1, cpuScaling: false, measureRss: false });
      saveProfile(profile, pfile);
    }
    const { graph } = await openModel(model, profile.inputShapes);
    row = { model: name, exporter: exporterOf(name), params: profile.nodes.reduce((s, n) => s + n.paramBytes, 0) / 4, ...facts, cells: [],
      profileSeconds: (performance.now() - t0) / 1000 };
    const twin = ZOO_TWIN[name];
    if (values.zoo && twin) {
      const zfile = join(dir, `zoo-${twin}.onnx`);
      if (!existsSync(zfile)) writeZooModel(twin, zfile);
      const z = await graphFacts(zfile);
      row.zoo = { name: twin, layers: z.layers, cutPoints: z.cutPoints };
    }
    for (const platform of values.platforms!.split(',')) {
      for (const strategy of values.strategies!.split(',')) {
        const cell: Cell = { platform, strategy };
        try {
          const plan = planPartition(profile, { platform, strategy, allowSloMiss: true, graph });
          const groups = new Map<string, number>();
          for (const f of plan.functions) groups.set(f.group, (groups.get(f.group) ?? 0) + 1);
          cell.functions = plan.functions.length;
          cell.groups = groups.size;
          cell.parallelGroups = [...groups.values()].filter((n) => n > 1).length;
          if (values.verify!.split(',').includes(strategy) && platform === values.platforms!.split(',')[0]) {
            const pdir = join(dir, `${name}-${platform}-${strategy.replace(':', '')}`);
            await buildPartition(model, plan, pdir);
            cell.verify = [];
            for (const batch of [1, 4]) {
              const v = await verifyPartition(model, pdir, { runs: 1, batch });
              cell.verify.push({ batch, ok: v.ok, maxAbsErr: v.maxAbsErr, maxRelErr: v.maxRelErr, atol: v.atol });
            }
            rmSync(pdir, { recursive: true, force: true });
          }
        } catch (err) {
          cell.error = errorMessage(err);
        }
        row.cells.push(cell);
        console.log(JSON.stringify({ model: name, ...cell }));
      }
    }
  } catch (err) {
    row = { model: name, exporter: exporterOf(name), params: 0, nodes: 0, folded: 0, layers: 0, cutPoints: 0, batch: '?', cells: [], error: errorMessage(err) };
    console.log(JSON.stringify(row));
  }
  doc.rows = [...doc.rows.filter((r) => r.model !== name), row];
  writeFileSync(out, JSON.stringify(doc, null, 2));
  writeFileSync(join(dir, 'real-exporters.md'), render(doc));
}
