import { openModel } from '../../src/graph/index.js';
import { loadProfile } from '../../src/profile/index.js';
import { planPartition } from '../../src/plan/index.js';
const profile = loadProfile('/tmp/d1/full/' + (process.argv[2] ?? 'resnet50') + '.profile.json');
const graph = (await openModel('/tmp/zoo/' + profile.model + '.onnx', profile.inputShapes)).graph;
for (const s of ['mopar', 'gillis']) {
  const t = performance.now();
  const plan = planPartition(profile, { platform: 'openfaas', strategy: s, allowSloMiss: true, graph });
  console.log(s, (performance.now() - t).toFixed(0), 'ms', plan.predicted);
}
