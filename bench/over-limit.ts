/**
 * A real model over a platform limit (issue 15): full-size VGG-16 (528 MB of weights, fc6 alone 392 MB) on AWS
 * Lambda with zip packages (`aws-lambda-zip`: 250 MB unzipped per function, ~120 MB of it the runtime). The unsplit
 * function cannot be planned there (the planner says why); mopar's plan is built, verified against the unsplit
 * model, and deployed for Lambda, where every slice must come out as a zip package (deploy picks a container image
 * for anything over 250 MB) with its measured package bytes under the limit.
 *
 * Run: node --import tsx bench/over-limit.ts [--model vgg16] [--out docs/results]   (~3 min on 2 idle cores)
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../src/core/index.js';
import { getPlatform, planPartition } from '../src/plan/index.js';
import { buildPartition, modelProfile, verifyPartition } from '../src/partition/index.js';
import { deploy } from '../src/deploy/index.js';
import { writeZooModel } from '../src/zoo/index.js';

const { values: a } = parseArgs({ options: { model: { type: 'string', default: 'vgg16' }, platform: { type: 'string', default: 'aws-lambda-zip' }, out: { type: 'string', default: 'docs/results' }, tiny: { type: 'boolean', default: false } } });
const platform = getPlatform(a.platform!);
const started = new Date();
const load0 = loadavg()[0]!;
const t0 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'mopar-over-limit-'));
const MB = 2 ** 20;
const lines: string[] = [];
const say = (...s: string[]) => { for (const x of s) { console.log(x); lines.push(x); } };
try {
  const model = join(dir, `${a.model}.onnx`);
  const w = writeZooModel(a.model!, model, { tiny: a.tiny });
  const { profile, graph } = await modelProfile(model, { profiling: { runs: 3, warmup: 1, measureRss: false } });
  say(`- model: ${a.model}${a.tiny ? ' (tiny)' : ''}, ${(profile.memory.weightsMB).toFixed(0)} MB of weights (largest layer ${Math.max(...profile.layers.map((l) => l.paramMB)).toFixed(0)} MB), ${(w.bytes / MB).toFixed(0)} MB file`);
  say(`- platform: ${platform.id} — package limit ${platform.limits.packageMB} MB unzipped per function, runtime ${platform.limits.runtimePackageMB} MB of it (${platform.notes['limits.packageMB']})`);
  let unsplit: string;
  try {
    const p = planPartition(profile, { platform: platform.id, strategy: 'unsplit', allowSloMiss: true, graph });
    unsplit = `planned as ${p.functions.length} function(s) — NOT over the limit`;
  } catch (err) {
    unsplit = `infeasible: ${errorMessage(err)}`;
  }
  say(`- unsplit: ${unsplit}`);
  const fastest = planPartition(profile, { platform: platform.id, strategy: 'mopar', sloMs: 1e-3, allowSloMiss: true, graph });
  const sloMs = 2 * fastest.predicted.latencyMs;
  const plan = planPartition(profile, { platform: platform.id, strategy: 'mopar', sloMs, graph });
  say(`- mopar at SLO ${sloMs.toFixed(0)} ms (2× its fastest plan): ${plan.functions.length} functions, predicted ${plan.predicted.latencyMs.toFixed(0)} ms, $${plan.predicted.costPerMillionUSD.toFixed(2)}/1M`);
  const built = join(dir, 'built');
  const manifest = await buildPartition(model, plan, built);
  const v = await verifyPartition(model, built, { runs: 2, seed: 3 });
  say(`- verify: ${v.ok ? 'ok' : 'FAILED'} (max rel err ${v.maxRelErr.toExponential(2)})`);
  const dep = await deploy(built, join(dir, 'lambda'), { target: 'lambda' });
  say('', '| function | layers | split | weights MB (file) | Lambda packaging | package MB (unzipped) | within 250 MB |', '|---|---|---|---:|---|---:|---|');
  let allZip = true;
  for (const f of manifest.functions) {
    const d = dep.functions.find((x) => x.function === f.name)!;
    const p = plan.functions.find((x) => x.name === f.name);
    const pkg = (d.packageBytes ?? NaN) / MB;
    const fits = d.packaging === 'zip' && pkg <= platform.limits.packageMB;
    allZip &&= fits;
    say(`| ${f.name} | ${p ? p.layers.join('–') : '—'} | ${f.split ? `${f.split.kind} ${f.split.index + 1}/${f.split.parts}` : ''} | ${(f.weightsBytes / MB).toFixed(1)} | ${d.packaging} | ${pkg.toFixed(1)} | ${fits ? 'yes' : '**no**'} |`);
  }
  say('', `**Result:** ${allZip ? 'every mopar function is a zip package within the limit' : 'some function is over the limit (see the table)'}; unsplit ${unsplit.startsWith('infeasible') ? 'is infeasible' : 'fits'}.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const md = [
  `# A model over a platform limit: ${a.model} on ${platform.id}`, '',
  `Measured ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end; ${((performance.now() - t0) / 1000).toFixed(0)} s. `
  + `Command: \`node --import tsx bench/over-limit.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``, '',
  ...lines, '',
].join('\n');
mkdirSync(a.out!, { recursive: true });
writeFileSync(join(a.out!, 'over-limit.md'), md);
console.log(`wrote ${join(a.out!, 'over-limit.md')}`);
