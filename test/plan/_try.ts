import { readFileSync } from 'node:fs';
import { planPartition, PLATFORMS, renderPlan } from '../../src/plan/index.js';
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
for (const p of PLATFORMS) for (const s of ['mopar', 'unsplit', 'uniform:3', 'layerwise', 'gillis', 'amps']) {
  try {
    const plan = planPartition(prof, { platform: p.id, strategy: s, allowSloMiss: true });
    if (process.argv[3] === 'v' && s === 'mopar') console.log(renderPlan(plan));
    const g = new Set(plan.functions.map((f) => f.group)).size;
    console.log(p.id.padEnd(14), s.padEnd(10), `fns ${plan.functions.length}/${g}`, 'lat', plan.predicted.latencyMs.toFixed(1), 'slo', plan.sloMs.toFixed(1), '$', plan.predicted.costPerMillionUSD.toFixed(3), 'vs', plan.unsplit.costPerMillionUSD.toFixed(3), 'eff', plan.predicted.efficiency, 'ms', plan.planMs, plan.sloMet ? '' : 'MISS');
  } catch (e) { console.log(p.id, s, 'ERR', (e as Error).message); }
}
