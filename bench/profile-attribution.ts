/**
 * Which per-node attribution is more accurate? Ground truth: the model cut at layer boundaries into K chunks of
 * about equal attributed time; each chunk extracted as its own model and timed as an optimised session (p50).
 * For each attribution mode we compare each chunk's share of the attributed time with its share of the summed
 * measured chunk times (shares, so per-session overheads cancel) and report the mean absolute error in
 * percentage points and the worst chunk.
 *
 *   node --import tsx bench/profile-attribution.ts MODEL.onnx [--chunks 6] [--runs 10]
 */
import { parseArgs } from 'node:util';
import { encodeModel, extractModel, openModel, openSession, randomInputs, runSession, type Feeds } from '../src/graph/index.js';
import { endToEndMs, profileModel, type Attribution, type Profile } from '../src/profile/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { chunks: { type: 'string', default: '6' }, runs: { type: 'string', default: '10' } } });
const file = positionals[0];
if (!file) throw new Error('usage: profile-attribution.ts MODEL.onnx');
const runs = Number(values.runs);
const K = Number(values.chunks);

const profiles: Record<Attribution, Profile> = {
  'unoptimised-scaled': await profileModel(file, { runs, cpuScaling: false, measureRss: false, attribution: 'unoptimised-scaled' }),
  'optimised-mapped': await profileModel(file, { runs, cpuScaling: false, measureRss: false, attribution: 'optimised-mapped' }),
};
const ref = profiles['unoptimised-scaled'];
// Chunks of consecutive layers with about equal time (by the reference profile).
const chunks: string[][] = [];
let acc = 0;
let cur: string[] = [];
for (const l of ref.layers) {
  cur.push(...l.nodes);
  acc += l.ms;
  if (acc >= (ref.measuredMs * (chunks.length + 1)) / K && chunks.length < K - 1) { chunks.push(cur); cur = []; }
}
if (cur.length) chunks.push(cur);

const { graph, inputShapes } = await openModel(file);
const env: Feeds = { ...randomInputs(graph, inputShapes, 1) };
const measured: number[] = [];
for (const nodes of chunks) {
  const { model, piece } = extractModel(graph, nodes);
  const s = await openSession(encodeModel(model), { threads: 1 });
  const feeds = Object.fromEntries(piece.inputs.map((i) => [i, env[i]!]));
  Object.assign(env, await runSession(s, feeds));
  measured.push((await endToEndMs(s, feeds, { runs, warmup: 2 })).cpuP50); // CPU time: robust to a busy machine
  await s.release();
}
const total = measured.reduce((a, b) => a + b, 0);
console.log(`${file}: ${chunks.length} chunks, measured chunk ms ${measured.map((m) => m.toFixed(1)).join(' / ')} (sum ${total.toFixed(1)}, whole ${ref.measuredMs.toFixed(1)})`);
for (const [mode, p] of Object.entries(profiles)) {
  const byNode = new Map(p.nodes.map((n) => [n.name, n.ms]));
  const att = chunks.map((c) => c.reduce((s, n) => s + (byNode.get(n) ?? 0), 0));
  const attTotal = att.reduce((a, b) => a + b, 0);
  const errs = att.map((a, i) => Math.abs(a / attTotal - measured[i]! / total) * 100);
  console.log(`  ${mode.padEnd(20)} shares ${att.map((a) => (100 * a / attTotal).toFixed(1)).join(' / ')} vs measured ${measured.map((m) => (100 * m / total).toFixed(1)).join(' / ')}: ` +
    `mean |error| ${(errs.reduce((a, b) => a + b, 0) / errs.length).toFixed(2)} pp, worst ${Math.max(...errs).toFixed(2)} pp`);
}
