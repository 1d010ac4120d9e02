import { planPartition, PLATFORMS } from '../../src/plan/index.js';
import { randomProfile } from './synthetic.js';
const prof = randomProfile(Number(process.argv[2] ?? 128), 7);
for (const p of PLATFORMS) {
  const cu = process.cpuUsage();
  const plan = planPartition(prof, { platform: p.id });
  console.log(p.id, 'wall', plan.planMs, 'cpu', (process.cpuUsage(cu).user / 1000).toFixed(0), plan.functions.length, plan.predicted.costPerMillionUSD);
}
