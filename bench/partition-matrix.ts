/**
 * partition + verify of full-size zoo models across platforms and strategies (issue 5's "done when"), one at a
 * time: zoo build → profile (saved, reused) → plan with the graph → build → verify. Prints one line per cell.
 *   node --import tsx bench/partition-matrix.ts --models resnet50,vgg16 --platforms aws-lambda --strategies mopar [--dir /tmp/pm] [--cpu-scaling]
 * Writes DIR/matrix.json and DIR/matrix.md; `--render matrix.json` prints the markdown of an earlier run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ZOO_NAMES, writeZooModel } from '../src/zoo/index.js';
import { loadModel, openModel } from '../src/graph/index.js';
import { profileModel, loadProfile, saveProfile, type Profile } from '../src/profile/index.js';
import { planPartition, PLATFORMS } from '../src/plan/index.js';
import { buildPartition, verifyPartition } from '../src/partition/index.js';
import { errorMessage, median } from '../src/core/index.js';

const { values } = parseArgs({ options: {
  models: { type: 'string', default: ZOO_NAMES.join(',') },
  platforms: { type: 'string', default: PLATFORMS.map((p) => p.id).join(',') },
  strategies: { type: 'string', default: 'mopar' },
  dir: { type: 'string', default: '/tmp/mopar-partition-matrix' },
  'cpu-scaling': { type: 'boolean', default: false },
  render: { type: 'string' },
} });

interface Row {
  model: string; platform: string; strategy: string; ok: boolean; maxRelErr?: number; functions?: number; groups?: number;
  predictedMs?: number; predictedCost?: number; planMs?: number; error?: string;
}

if (values.render) {
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(values.render, 'utf8')) as Row[]));
  process.exit(0);
}

function renderMarkdown(rows: Row[]): string {
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const failed = rows.filter((r) => !r.ok);
  const errs = rows.filter((r) => r.ok).map((r) => r.maxRelErr ?? 0);
  const plans = rows.filter((r) => r.planMs !== undefined).map((r) => r.planMs!);
  const lines = [
    `cells: ${rows.length}, verified ok: ${rows.length - failed.length}, failed: ${failed.length}; max rel err ${Math.max(0, ...errs).toExponential(2)}`,
    ...failed.map((r) => `FAILED ${r.model} ${r.platform} ${r.strategy}  ${r.error ?? r.maxRelErr}`),
    '', `| model | platform | ${strategies.join(' | ')} |`, `|---|---|${strategies.map(() => '---|').join('')}`,
  ];
  const keys = [...new Set(rows.map((r) => `${r.model}\t${r.platform}`))];
  for (const key of keys) {
    const [model, platform] = key.split('\t');
    const cells = strategies.map((s) => {
      const r = rows.find((x) => x.model === model && x.platform === platform && x.strategy === s);
      if (!r) return '';
      if (!r.ok) return 'FAIL';
      return `${r.predictedCost!.toFixed(2)}$ ${r.predictedMs!.toFixed(0)}ms ${r.functions}f/${r.groups}g`;
    });
    lines.push(`| ${model} | ${platform} | ${cells.join(' | ')} |`);
  }
  if (plans.length) lines.push('', `plan ms: median ${median(plans).toFixed(0)}, max ${Math.max(...plans).toFixed(0)}`);
  return `${lines.join('\n')}\n`;
}
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const rows: Row[] = [];
for (const name of values.models!.split(',')) {
  const model = join(dir, `${name}.onnx`);
  if (!existsSync(model)) writeZooModel(name, model);
  const pfile = join(dir, `${name}.profile.json`);
  let profile: Profile;
  try { profile = loadProfile(pfile, loadModel(model).hash); } catch {
    const t = performance.now();
    profile = await profileModel(model, { runs: 5, cpuScaling: values['cpu-scaling'] });
    saveProfile(profile, pfile);
    console.error(`${name}: profiled in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  const graph = (await openModel(model, profile.inputShapes)).graph;
  for (const platform of values.platforms!.split(',')) {
    for (const strategy of values.strategies!.split(',')) {
      const out = join(dir, `${name}-${platform}-${strategy.replace(':', '')}`);
      const t0 = performance.now();
      try {
        const plan = planPartition(profile, { platform, strategy, allowSloMiss: true, graph });
        const m = await buildPartition(model, plan, out);
        const v = await verifyPartition(model, out, { runs: 1 });
        const groups = new Set(m.functions.map((f) => f.group)).size;
        const row = { model: name, platform, strategy, ok: v.ok, maxRelErr: v.maxRelErr, functions: m.functions.length, groups,
          predictedMs: plan.predicted.latencyMs, predictedCost: plan.predicted.costPerMillionUSD, unsplitCost: plan.unsplit.costPerMillionUSD,
          unsplitMs: plan.unsplit.latencyMs, planMs: plan.planMs, seconds: (performance.now() - t0) / 1000 };
        rows.push(row);
        console.log(JSON.stringify(row));
      } catch (err) {
        rows.push({ model: name, platform, strategy, ok: false, error: errorMessage(err) });
        console.log(JSON.stringify({ model: name, platform, strategy, ok: false, error: errorMessage(err) }));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
  writeFileSync(join(dir, 'matrix.json'), JSON.stringify(rows, null, 2));
  writeFileSync(join(dir, 'matrix.md'), renderMarkdown(rows));
}
