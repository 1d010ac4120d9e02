/**
 * A model over a platform's package limit (AWS Lambda zip packages: 250 MB unzipped, ~120 MB of it the runtime):
 * shaped like VGG-16 (56 MB of convolutions, a 392 MB fc6 that splits by output channel, 80 MB fc7+fc8). The
 * unsplit function cannot be planned, with the reason; mopar's plan keeps every function's weights + runtime
 * within the limit. (bench/over-limit.ts does the same on the real VGG-16, built, verified and deployed.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPlatform, planPartition, PLATFORMS } from '../../src/plan/index.js';
import { CHANNEL, syntheticProfile } from './synthetic.js';

const vggLike = syntheticProfile([
  { ms: 300, paramMB: 56, actMB: 12, cutBytes: 25088 * 4 },
  { ms: 40, paramMB: 392, actMB: 1, cutBytes: 4096 * 4, op: 'Gemm', splits: [CHANNEL] },
  { ms: 10, paramMB: 80, actMB: 1, cutBytes: 4000, op: 'Gemm' },
], { model: 'vgg-like' });

test('aws-lambda-zip: a variant of aws-lambda with the 250 MB zip package limit, not in the default matrix', () => {
  const zip = getPlatform('aws-lambda-zip');
  assert.equal(zip.limits.packageMB, 250);
  assert.deepEqual(zip.price, getPlatform('aws-lambda').price);
  assert.ok(!PLATFORMS.some((p) => p.id === 'aws-lambda-zip'));
});

test('over the zip package limit: unsplit is refused with the reason, mopar splits so each function fits', () => {
  assert.throws(() => planPartition(vggLike, { platform: 'aws-lambda-zip', strategy: 'unsplit', allowSloMiss: true }),
    /392 MB of weights: with the 120 MB runtime, over aws-lambda-zip's package limit of 250 MB/);
  // With container images (10 GB) the same model is one function.
  assert.equal(planPartition(vggLike, { platform: 'aws-lambda', strategy: 'unsplit' }).functions.length, 1);
  const plan = planPartition(vggLike, { platform: 'aws-lambda-zip', strategy: 'mopar', sloMs: 2000 });
  assert.ok(plan.sloMet);
  const zip = getPlatform('aws-lambda-zip');
  for (const f of plan.functions) {
    const [a, b] = f.layers;
    const whole = vggLike.layers.slice(a, b + 1).reduce((s, l) => s + l.paramMB, 0);
    const parts = plan.functions.filter((g) => g.group === f.group).length;
    const weights = f.split ? whole / parts : whole;
    assert.ok(weights + zip.limits.runtimePackageMB <= zip.limits.packageMB, `${f.name}: ${weights.toFixed(0)} MB + runtime`);
  }
  assert.ok(plan.functions.some((f) => f.split?.kind === 'channel'), 'fc6 is split by output channel');
});
