import { getPlatform } from '../../src/plan/platforms.js';
import { makeContext } from '../../src/plan/cost-model.js';
import { unitsOf, normalisedLayerMs } from '../../src/plan/units.js';
import { makeProblem } from '../../src/plan/problem.js';
import { minCostUnderSlo } from '../../src/plan/dp.js';
import { TRANSPORTS } from '../../src/plan/transport.js';
import { randomProfile } from './synthetic.js';
const prof = randomProfile(128, 7);
for (const id of ['aws-lambda', 'openfaas']) {
  const ms = normalisedLayerMs(prof);
  const ctx = makeContext(prof, getPlatform(id), unitsOf(prof.layers, ms));
  const pr = makeProblem(ctx, { horizontal: true, transports: TRANSPORTS });
  let t = performance.now(); let cnt = 0; const cu = process.cpuUsage();
  for (let a = 0; a < pr.n; a++) for (let b = a; b < pr.n; b++) cnt += pr.options(a, b).length;
  console.log(id, "options", (performance.now() - t).toFixed(0), "ms wall", (process.cpuUsage(cu).user/1000).toFixed(0), "ms cpu");
  t = performance.now();
  const r = minCostUnderSlo(pr, 2660);
  console.log(id, 'dp', (performance.now() - t).toFixed(0), 'ms', r?.segments.length);
}
