/**
 * Not a test: prints the planner's predictions for saved profiles, every platform × strategy, as a markdown
 * table (what the report quotes). Usage: node --import tsx test/plan/compare.ts [--slo-factor F]
 * [--models DIR] [--strategies a,b] PROFILE.json...
 * (F multiplies each platform's default SLO, the unsplit function at 1 vCPU; with --models, DIR/<model>.onnx is
 * opened and given to the planner so multi-layer splits are charged their measured recomputation.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/graph/index.js';
import { loadProfile } from '../../src/profile/index.js';
import { planPartition, PLATFORMS } from '../../src/plan/index.js';

console.log('| model | platform | strategy | slices / functions | latency ms | $ per 1M | vs unsplit | efficiency | plan ms |');
console.log('|---|---|---|---|---|---|---|---|---|');
const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
const factor = Number(flag('--slo-factor') ?? 1);
const models = flag('--models');
const STRATEGIES = flag('--strategies')?.split(',') ?? ['mopar', 'unsplit', 'uniform:3', 'layerwise', 'gillis', 'amps'];
for (const file of args) {
  const profile = loadProfile(file);
  const onnx = models ? join(models, `${profile.model}.onnx`) : undefined;
  const graph = onnx && existsSync(onnx) ? (await openModel(onnx, profile.inputShapes)).graph : undefined;
  for (const p of PLATFORMS) {
    const sloMs = planPartition(profile, { platform: p.id, strategy: 'unsplit' }).sloMs * factor;
    for (const s of STRATEGIES) {
      try {
        const plan = planPartition(profile, { platform: p.id, strategy: s, sloMs, allowSloMiss: true, graph });
        const groups = new Set(plan.functions.map((f) => f.group)).size;
        const ratio = plan.predicted.costPerMillionUSD / plan.unsplit.costPerMillionUSD;
        console.log(`| ${profile.model} | ${p.id} | ${s} | ${groups} / ${plan.functions.length} | ${plan.predicted.latencyMs.toFixed(1)}`
          + `${plan.sloMet === false ? ' (misses SLO ' + plan.sloMs.toFixed(0) + ')' : ''} | ${plan.predicted.costPerMillionUSD.toFixed(2)} | `
          + `${Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a'} | ${plan.predicted.efficiency.toFixed(3)} | ${plan.planMs.toFixed(0)} |`);
      } catch (err) {
        console.log(`| ${profile.model} | ${p.id} | ${s} | error: ${(err as Error).message} | | | | | |`);
      }
    }
  }
}
