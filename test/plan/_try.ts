import { planPartition, PLATFORMS } from '../../src/plan/index.js';
import { randomProfile } from './synthetic.js';
const prof = randomProfile(Number(process.argv[2] ?? 12), 7);
const sloScale = Number(process.argv[3] ?? 1);
for (const p of PLATFORMS) for (const s of ['mopar', 'unsplit', 'uniform:3', 'layerwise', 'gillis', 'amps']) {
  try {
    const plan0 = planPartition(prof, { platform: p.id, strategy: 'unsplit' });
    const plan = planPartition(prof, { platform: p.id, strategy: s, allowSloMiss: true, sloMs: plan0.sloMs * sloScale });
    const g = new Set(plan.functions.map((f) => f.group)).size;
    console.log(p.id.padEnd(14), s.padEnd(10), `fns ${plan.functions.length}/${g}`, 'lat', plan.predicted.latencyMs.toFixed(1), 'slo', plan.sloMs.toFixed(1), '$', plan.predicted.costPerMillionUSD.toFixed(3), 'vs', plan.unsplit.costPerMillionUSD.toFixed(3), 'eff', plan.predicted.efficiency, 'ms', plan.planMs, plan.sloMet ? '' : 'MISS');
  } catch (e) { console.log(p.id, s, 'ERR', (e as Error).message); }
}
