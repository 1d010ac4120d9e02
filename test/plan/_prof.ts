import { readFileSync } from 'node:fs';
import { getPlatform } from '../../src/plan/platforms.js';
import { makeContext } from '../../src/plan/cost-model.js';
import { unitsOf, normalisedLayerMs } from '../../src/plan/units.js';
import { makeProblem } from '../../src/plan/problem.js';
import { minCostUnderSlo, minLatency, suffixBounds } from '../../src/plan/dp.js';
import { TRANSPORTS } from '../../src/plan/transport.js';
import { randomProfile } from './synthetic.js';
const prof = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8')) : randomProfile(128, 7);
for (const id of ['aws-lambda', 'gcp-cloud-run', 'openfaas']) {
  const ms = normalisedLayerMs(prof);
  const ctx = makeContext(prof, getPlatform(id), unitsOf(prof.layers, ms));
  const pr = makeProblem(ctx, { horizontal: true, transports: TRANSPORTS });
  let cu = process.cpuUsage(); let cnt = 0;
  for (let a = 0; a < pr.n; a++) for (let b = a; b < pr.n; b++) cnt += pr.options(a, b).length;
  const t1 = process.cpuUsage(cu).user / 1000; cu = process.cpuUsage();
  suffixBounds(pr); const t2 = process.cpuUsage(cu).user / 1000; cu = process.cpuUsage();
  const fast = minLatency(pr)!; const t3 = process.cpuUsage(cu).user / 1000; cu = process.cpuUsage();
  const r = minCostUnderSlo(pr, prof.measuredMs + 2);
  const t4 = process.cpuUsage(cu).user / 1000;
  console.log(id, 'n', pr.n, 'opts/seg', (cnt / (pr.n * (pr.n + 1) / 2)).toFixed(1), 'cpu ms: options', t1.toFixed(0), 'bounds', t2.toFixed(0), 'minLat', t3.toFixed(0), 'dp', t4.toFixed(0), r?.segments.length);
}
