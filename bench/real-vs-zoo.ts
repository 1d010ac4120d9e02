/**
 * Real exporter output beside the zoo's model of the same architecture (issue 13: "the plans match what the same
 * architecture gets from the zoo"). For each pair, the torch.onnx.export file and the zoo file are profiled back
 * to back, in the order real, zoo, zoo, real (ABBA: a load that drifts during the run hits both alike), and each
 * profile is planned with the `mopar` strategy on every platform (default SLO, as `mopar plan` gives it). The
 * report sets functions, cost and latency side by side, each side planned from its fastest round, with how
 * much the rounds drifted, so a difference can be told from noise.
 *
 *   /usr/bin/python3 scripts/export-fixtures.py --full --out /work/cache/exports     # once, slow (not timed)
 *   node --import tsx bench/real-vs-zoo.ts --dir /work/cache/exports [--models resnet50,vit-b16] [--rounds 2] [--runs 3]
 *
 * Writes docs/results/real-vs-zoo.json and the section between the real-vs-zoo markers of
 * docs/results/real-exporters.md (`--out-json`, `--out-md` to write elsewhere). Zoo files are written into DIR
 * as zoo-NAME.onnx (dynamic batch, as the real exports) when missing. `--render FILE.json` prints the section.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { watchLoad } from '../src/core/index.js';
import { inspectGraph, openModel, type Graph } from '../src/graph/index.js';
import { profileModel, type Profile } from '../src/profile/index.js';
import { planPartition, PLATFORMS } from '../src/plan/index.js';
import { writeZooModel } from '../src/zoo/index.js';

/** Real export name → the zoo model of the same architecture. */
export const ZOO_TWIN: Record<string, string> = {
  resnet50: 'resnet50', vgg16: 'vgg16', densenet121: 'densenet121', 'efficientnet-b0': 'efficientnet-b0',
  'convnext-tiny': 'convnext-tiny', 'vit-b16': 'vit-b16', 'bert-like': 'bert-base', 'gpt2-like': 'gpt2',
};

/**
 * What fits the quiet window (≤ 8 min on an idle 2-core machine, 2 rounds of 3 runs): one classic CNN, one
 * efficient CNN, the vision transformer and the encoder. VGG-16 and the GPT-2-like decoder (550–650 MB files)
 * and DenseNet-121 are left to `--models` (see the timing note in docs/results/real-exporters.md).
 */
const DEFAULT_MODELS = ['resnet50', 'efficientnet-b0', 'convnext-tiny', 'vit-b16', 'bert-like'];

const START = '<!-- real-vs-zoo:start (written by bench/real-vs-zoo.ts) -->';
const END = '<!-- real-vs-zoo:end -->';

interface PlanCell { functions: number; parallelGroups: number; costPerMillionUSD: number; latencyMs: number; sloMs: number; sloMet: boolean; memoryMB: number[] }
interface Side {
  file: string; nodes: number; folded: number; layers: number; cutPoints: number; weightsMB: number; params: number;
  /** One entry per round: measured end-to-end ms and the plan per platform. */
  rounds: Array<{ order: number; measuredMs: number; profileSeconds: number; plans: Record<string, PlanCell>;
    /** Attributed ms per operator type (profile nodes summed): where the end-to-end time goes. */
    opMs?: Record<string, number> }>;
}
interface Pair { model: string; zoo: string; real: Side; twin: Side; error?: string }
interface Doc {
  kind: 'mopar.real-vs-zoo'; date: string; cpu: string; cores: number; loadAvgStart: number; load: { loadAvg: number; loaded: boolean };
  rounds: number; runs: number; platforms: string[]; seconds: number; pairs: Pair[];
}

const { values } = parseArgs({ options: {
  dir: { type: 'string', default: '/work/cache/exports' },
  models: { type: 'string' },
  platforms: { type: 'string', default: PLATFORMS.map((p) => p.id).join(',') },
  rounds: { type: 'string', default: '2' },
  runs: { type: 'string', default: '3' },
  'out-json': { type: 'string', default: 'docs/results/real-vs-zoo.json' },
  'out-md': { type: 'string', default: 'docs/results/real-exporters.md' },
  render: { type: 'string' },
} });

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)} %`;

/** A side's fastest round: load only ever slows a run down, so the least inflated profile stands for the side. */
const best = (s: Side) => s.rounds.reduce((a, b) => (b.measuredMs < a.measuredMs ? b : a));
/** Slowest over fastest round of a side, as a percentage over 1: how much the rounds disagreed. */
const drift = (s: Side) => Math.max(...s.rounds.map((r) => r.measuredMs)) / Math.min(...s.rounds.map((r) => r.measuredMs)) - 1;

/** The three operator types whose attributed time differs most between the two sides. */
function opDiff(real?: Record<string, number>, zoo?: Record<string, number>): string {
  if (!real || !zoo) return '';
  const ops = [...new Set([...Object.keys(real), ...Object.keys(zoo)])].map((op) => ({ op, d: (real[op] ?? 0) - (zoo[op] ?? 0) }));
  return ops.sort((a, b) => Math.abs(b.d) - Math.abs(a.d)).slice(0, 3).map((o) => `${o.op} ${o.d >= 0 ? '+' : ''}${o.d.toFixed(0)}`).join(', ');
}

export function render(doc: Doc): string {
  const lines = [
    `Measured ${doc.date} on ${doc.cpu} (${doc.cores} cores), load average ${doc.loadAvgStart.toFixed(2)} at the start, ` +
      `${doc.load.loadAvg.toFixed(2)} at most${doc.load.loaded ? ' (**loaded**: timings inflated; a difference smaller than the rounds\' drift is noise)' : ''}; ` +
      `${doc.rounds} rounds per model, real and zoo profiled back to back in ABBA order, ${doc.runs} timed runs each (no CPU-scaling or ` +
      `RSS runs); each side is planned from its fastest round; ${Math.round(doc.seconds)} s in all.`,
    '',
    '| model (zoo twin) | nodes real / zoo | layers real / zoo | cut points real / zoo | weights MB real / zoo | end-to-end ms real / zoo | rounds\' drift real / zoo | ops whose time differs most (real − zoo ms) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const p of doc.pairs) {
    if (p.error || !p.real.rounds.length || !p.twin.rounds.length) { lines.push(`| ${p.model} (${p.zoo}) | error: ${p.error ?? 'not measured'} | | | | | | |`); continue; }
    lines.push(`| ${p.model} (${p.zoo}) | ${p.real.nodes} / ${p.twin.nodes} | ${p.real.layers} / ${p.twin.layers} | ${p.real.cutPoints} / ${p.twin.cutPoints} | ` +
      `${p.real.weightsMB.toFixed(0)} / ${p.twin.weightsMB.toFixed(0)} | ${best(p.real).measuredMs.toFixed(0)} / ${best(p.twin).measuredMs.toFixed(0)} | ` +
      `${pct(drift(p.real))} / ${pct(drift(p.twin))} | ${opDiff(best(p.real).opMs, best(p.twin).opMs)} |`);
  }
  lines.push('', '`mopar` plan of each side (f = functions, g = parallel groups; predicted cost in USD per million requests and ' +
    'latency in ms; default SLO of each model):', '',
    '| model | platform | real: f/g, $/M, ms | zoo: f/g, $/M, ms | cost zoo→real | latency zoo→real |',
    '|---|---|---|---|---|---|');
  for (const p of doc.pairs) {
    if (p.error || !p.real.rounds.length || !p.twin.rounds.length) continue;
    for (const platform of doc.platforms) {
      const r = best(p.real).plans[platform];
      const z = best(p.twin).plans[platform];
      if (!r || !z) continue;
      const cell = (c: PlanCell) => `${c.functions}f/${c.parallelGroups}g, ${c.costPerMillionUSD.toFixed(2)}, ${c.latencyMs.toFixed(0)}${c.sloMet ? '' : ' (SLO missed)'}`;
      lines.push(`| ${p.model} | ${platform} | ${cell(r)} | ${cell(z)} | ${pct(r.costPerMillionUSD / z.costPerMillionUSD - 1)} | ${pct(r.latencyMs / z.latencyMs - 1)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (values.render) {
  process.stdout.write(render(JSON.parse(readFileSync(values.render, 'utf8')) as Doc));
  process.exit(0);
}

/** Opened once (folding a 350 MB export takes seconds); profiles and plans run at its default shapes (batch 1). */
const graphs = new Map<Side, Graph>();

async function graphSide(file: string): Promise<Side> {
  const { graph, folded } = await openModel(file);
  const side: Side = { file, nodes: graph.nodes.length, folded, layers: 0, cutPoints: 0, weightsMB: 0, params: inspectGraph(graph).params, rounds: [] };
  graphs.set(side, graph);
  return side;
}

function planAll(profile: Profile, platforms: string[], graph: Graph): Record<string, PlanCell> {
  const plans: Record<string, PlanCell> = {};
  for (const platform of platforms) {
    const plan = planPartition(profile, { platform, strategy: 'mopar', allowSloMiss: true, graph });
    const groups = new Map<string, number>();
    for (const f of plan.functions) groups.set(f.group, (groups.get(f.group) ?? 0) + 1);
    plans[platform] = {
      functions: plan.functions.length, parallelGroups: [...groups.values()].filter((n) => n > 1).length,
      costPerMillionUSD: plan.predicted.costPerMillionUSD, latencyMs: plan.predicted.latencyMs, sloMs: plan.sloMs,
      sloMet: plan.sloMet !== false, memoryMB: plan.functions.map((f) => f.memoryMB),
    };
  }
  return plans;
}

const t0 = performance.now();
const watch = watchLoad();
const dir = values.dir!;
const platforms = values.platforms!.split(',');
const rounds = Number(values.rounds);
const runs = Number(values.runs);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(runs) || runs < 1) throw new Error('--rounds and --runs must be whole numbers ≥ 1');
const models = values.models?.split(',') ?? DEFAULT_MODELS;
for (const m of models) {
  if (!ZOO_TWIN[m]) throw new Error(`no zoo twin for '${m}' (known: ${Object.keys(ZOO_TWIN).join(', ')})`);
  if (!existsSync(join(dir, `${m}.onnx`))) throw new Error(`${join(dir, `${m}.onnx`)} missing: export it first (scripts/export-fixtures.py --full --only ${m})`);
}
const doc: Doc = {
  kind: 'mopar.real-vs-zoo', date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
  loadAvgStart: loadavg()[0]!, load: { loadAvg: 0, loaded: false }, rounds, runs, platforms, seconds: 0, pairs: [],
};
for (const model of models) {
  const zoo = ZOO_TWIN[model]!;
  const realFile = join(dir, `${model}.onnx`);
  const zooFile = join(dir, `zoo-${zoo}.onnx`);
  if (!existsSync(zooFile)) writeZooModel(zoo, zooFile); // full size: dynamic batch by default, as the export
  const pair: Pair = { model, zoo, real: await graphSide(realFile), twin: await graphSide(zooFile) };
  try {
    for (let round = 0; round < rounds; round++) {
      // ABBA: real first in even rounds, zoo first in odd ones.
      const order = round % 2 === 0 ? [pair.real, pair.twin] : [pair.twin, pair.real];
      for (const [i, side] of order.entries()) {
        const started = performance.now();
        const profile = await profileModel(side.file, { runs, cpuScaling: false, measureRss: false });
        side.layers = profile.layers.length;
        side.cutPoints = profile.cutPoints?.length ?? profile.layers.length - 1;
        side.weightsMB = profile.memory.weightsMB;
        const opMs: Record<string, number> = {};
        for (const n of profile.nodes) opMs[n.op] = (opMs[n.op] ?? 0) + n.ms;
        side.rounds.push({ order: 2 * round + i, measuredMs: profile.measuredMs, profileSeconds: (performance.now() - started) / 1000,
          plans: planAll(profile, platforms, graphs.get(side)!), opMs });
        console.log(JSON.stringify({ model, side: side === pair.real ? 'real' : 'zoo', round, measuredMs: profile.measuredMs,
          seconds: Math.round((performance.now() - started) / 100) / 10, loadAvg: loadavg()[0] }));
      }
    }
  } catch (err) {
    pair.error = err instanceof Error ? err.message : String(err);
    console.log(JSON.stringify({ model, error: pair.error }));
  }
  doc.pairs.push(pair);
  graphs.clear();
}
doc.seconds = (performance.now() - t0) / 1000;
doc.load = watch.stop();
writeFileSync(values['out-json']!, `${JSON.stringify(doc, null, 2)}\n`);
const md = values['out-md']!;
const section = `${START}\n${render(doc)}${END}`;
const text = existsSync(md) ? readFileSync(md, 'utf8') : '';
writeFileSync(md, text.includes(START) && text.includes(END)
  ? text.slice(0, text.indexOf(START)) + section + text.slice(text.indexOf(END) + END.length)
  : `${text}${text.endsWith('\n') || !text ? '' : '\n'}\n## Real export beside the zoo's model\n\n${section}\n`);
console.log(`real-vs-zoo: ${doc.pairs.length} pairs in ${doc.seconds.toFixed(0)} s (load ${doc.loadAvgStart.toFixed(2)} → max ${doc.load.loadAvg}); wrote ${values['out-json']} and ${md}`);
