import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MoparError } from '../../src/core/errors.js';
import { planPartition } from '../../src/plan/index.js';
import { randomProfile, syntheticProfile } from './synthetic.js';

const isMopar = (re: RegExp) => (err: unknown) => err instanceof MoparError && re.test(err.message);

test('an SLO below the fastest possible plan is a clear error naming the bound', () => {
  const profile = randomProfile(8, 1);
  for (const strategy of ['mopar', 'unsplit', 'uniform:2', 'gillis', 'amps', 'layerwise']) {
    assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy, sloMs: 1 }),
      isMopar(/no '.*' plan meets the latency SLO of 1\.0 ms on aws-lambda: the fastest takes [\d.]+ ms \(raise --slo-ms to at least \d+\)/));
  }
  // With allowSloMiss the fastest plan comes back, flagged.
  const plan = planPartition(profile, { platform: 'aws-lambda', sloMs: 1, allowSloMiss: true });
  assert.equal(plan.sloMet, false);
  assert.ok(plan.predicted.latencyMs > 1);
});

test('a layer over the platform memory limit is a clear error naming the layer', () => {
  const profile = syntheticProfile([
    { ms: 10, paramMB: 10, actMB: 5, cutBytes: 1000 },
    { ms: 10, paramMB: 9500, actMB: 5, cutBytes: 1000, op: 'Gemm' },
  ]);
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda' }),
    isMopar(/layer 1 \(n1a\) needs \d+ MB, over aws-lambda's maximum of 10240 MB per function/));
  // A platform with bigger functions takes it.
  const plan = planPartition(profile, { platform: 'gcp-cloud-run', sloMs: 10_000 });
  assert.ok(plan.functions.at(-1)!.memoryMB > 10240);
  // The unsplit comparison is absent (NaN → null in JSON) where the model fits no single function.
  const lambdaFit = syntheticProfile([{ ms: 10, paramMB: 4800, actMB: 5, cutBytes: 1000 }, { ms: 10, paramMB: 4800, actMB: 5, cutBytes: 1000 }]);
  const p = planPartition(lambdaFit, { platform: 'aws-lambda', sloMs: 10_000 });
  assert.equal(p.functions.length, 2);
  assert.equal(JSON.parse(JSON.stringify(p)).unsplit.memoryMB, null);
  assert.equal(p.unsplit.sloMet, false);
});

test('bad platform, strategy, SLO or profile: one clear MoparError each', () => {
  const profile = randomProfile(5, 1);
  assert.throws(() => planPartition(profile, { platform: 'azure' }), isMopar(/unknown platform 'azure' \(known: aws-lambda, gcp-cloud-run, alibaba-fc, openfaas, aws-lambda-zip\)/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy: 'greedy' }), isMopar(/unknown strategy 'greedy'/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform' }), isMopar(/unknown strategy 'uniform'/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform:0' }), isMopar(/uniform:K needs an integer K ≥ 1/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform:x' }), isMopar(/uniform:K needs an integer/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform:9' }), isMopar(/more slices than the model has layers \(5\)/));
  assert.throws(() => planPartition(profile, { platform: 'aws-lambda', sloMs: -3 }), isMopar(/--slo-ms must be a positive number/));
  assert.throws(() => planPartition({ ...profile, layers: [] }, { platform: 'aws-lambda' }), isMopar(/has no layers/));
  assert.throws(() => planPartition({ ...profile, kind: 'x' } as never, { platform: 'aws-lambda' }), isMopar(/not a mopar profile/));
  const broken = structuredClone(profile);
  broken.layers[2]!.ms = Number.NaN;
  assert.throws(() => planPartition(broken, { platform: 'aws-lambda' }), isMopar(/layer 2 has a missing or negative measurement/));
  const noCuts = structuredClone(profile) as unknown as { layers: Array<{ cutTensors?: string[] }> };
  delete noCuts.layers[1]!.cutTensors;
  assert.throws(() => planPartition(noCuts as never, { platform: 'aws-lambda' }), isMopar(/layer 1 lacks its nodes or cut tensors/));
});

test('an edge over Lambda\'s 6 MB payload is compressed or staged, never inline', () => {
  const big = 20 * 2 ** 20;
  const profile = syntheticProfile([
    { ms: 300, paramMB: 5, actMB: 40, cutBytes: big },
    { ms: 5, paramMB: 2000, actMB: 1, cutBytes: 4000, op: 'Gemm' },
  ]);
  const plan = planPartition(profile, { platform: 'aws-lambda', strategy: 'uniform:2', sloMs: 5000 });
  assert.equal(plan.edges.length, 1);
  assert.equal(plan.edges[0]!.bytes, big);
  assert.equal(plan.edges[0]!.transport, 'object-store');
  const mid = syntheticProfile([
    { ms: 300, paramMB: 5, actMB: 40, cutBytes: 5 * 2 ** 20 },
    { ms: 5, paramMB: 2000, actMB: 1, cutBytes: 4000, op: 'Gemm' },
  ]);
  const p2 = planPartition(mid, { platform: 'aws-lambda', strategy: 'uniform:2', sloMs: 5000 });
  assert.equal(p2.edges[0]!.transport, 'compressed', '5 MB is 6.7 MB in base64, 4.7 MB compressed');
});
