import { test } from 'node:test';
import assert from 'node:assert/strict';
import { physicalFloor, liveMemoryMB } from '../../src/plan/floor.js';
import { getPlatform } from '../../src/plan/platforms.js';
import { planPartition } from '../../src/plan/index.js';
import { syntheticProfile } from './synthetic.js';

// Two layers at 1 vCPU: 100 ms holding 10 MB of weights and 5 MB of activations, then 50 ms holding 200 MB and 1 MB.
// 2 threads run 1.8× faster (synthetic curve); baseline 52 MB. Live memory: 52 + 26 + 10 + 2·5 = 98 MB and
// 52 + 26 + 200 + 2·1 = 280 MB.
const profile = () => syntheticProfile([
  { ms: 100, paramMB: 10, actMB: 5, cutBytes: 1024 },
  { ms: 50, paramMB: 200, actMB: 1, cutBytes: 4 },
]);
const close = (got: number, want: number, what: string) =>
  assert.ok(Math.abs(got - want) <= 1e-9 * Math.abs(want), `${what}: got ${got}, want ${want}`);

test('floor: live memory is baseline + session + the layer\'s weights + its activation arena', () => {
  assert.equal(liveMemoryMB(52, 10, 5), 98);
  const f = physicalFloor(profile(), 'openfaas');
  assert.deepEqual(f.layers.map((l) => l.liveMB), [98, 280]);
});

test('floor on AWS Lambda: memory up to 1,769 MB per vCPU rides with the CPU, so it is CPU-seconds at 1,769 MB', () => {
  const p = getPlatform('aws-lambda');
  const f = physicalFloor(profile(), p);
  // Any size up to 1 vCPU costs the same per unit of work (less memory is proportionally slower; 2 vCPU is only 1.8×
  // faster), up to the platform model's rounding of vCPU to 0.001 (≤ 0.3 % here).
  const want = 0.15 * 1769 / 1024 * p.price.perGBSecond + 0.2e-6;
  assert.ok(Math.abs(f.usd - want) <= 3e-3 * want, `usd ${f.usd} vs ${want}`);
  assert.ok(f.layers.every((l) => l.config.vcpu <= 1), 'no layer pays for a second vCPU');
});

test('floor on AWS Lambda: weights past 1,769 MB force more (unused) CPU', () => {
  const p = getPlatform('aws-lambda');
  const big = syntheticProfile([{ ms: 10, paramMB: 4000, actMB: 0, cutBytes: 4 }]);
  const f = physicalFloor(big, p);
  // 52 + 26 + 4000 = 4078 MB → 2.305 vCPU; 2 threads, 10 / 1.8 = 5.56 ms.
  assert.deepEqual(f.layers[0]!.config, { memoryMB: 4078, vcpu: 2.305 });
  close(f.usd, 10 / 1.8 / 1000 * 4078 / 1024 * p.price.perGBSecond + 0.2e-6, 'usd');
  // As one function its duration is billed whole milliseconds: 6 ms.
  const whole = physicalFloor(big, p, { whole: true });
  assert.equal(whole.billedMs, 6);
  close(whole.usd, 6 / 1000 * 4078 / 1024 * p.price.perGBSecond + 0.2e-6, 'whole usd');
});

test('floor on Cloud Run: 1 vCPU with the live memory; at least one 100 ms granule at the smallest configuration', () => {
  const p = getPlatform('gcp-cloud-run');
  const f = physicalFloor(profile(), p);
  const rate = (mb: number) => mb / 1024 * p.price.perGBSecond + p.price.perVcpuSecond;
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 128, vcpu: 1 }, { memoryMB: 280, vcpu: 1 }]);
  close(f.usd, 0.1 * rate(128) + 0.05 * rate(280) + 0.4e-6, 'usd');
  // 1.5 ms of work: below one granule at 0.08 vCPU and 128 MB (the smallest Cloud Run size), so that granule is the floor.
  const tiny = syntheticProfile([{ ms: 1.5, paramMB: 0.1, actMB: 0.1, cutBytes: 4 }]);
  close(physicalFloor(tiny, p).usd, 0.1 * (128 / 1024 * p.price.perGBSecond + 0.08 * p.price.perVcpuSecond) + 0.4e-6, 'tiny usd');
});

test('floor on Function Compute: at least 1 GB per vCPU, so CPU-seconds × (1 vCPU + 1 GB)', () => {
  const p = getPlatform('alibaba-fc');
  const f = physicalFloor(profile(), p);
  close(f.usd, 0.15 * (p.price.perGBSecond + p.price.perVcpuSecond) + p.price.perRequest, 'usd');
});

test('floor on OpenFaaS: memory and CPU independent, 1 vCPU with exactly the live memory', () => {
  const p = getPlatform('openfaas');
  const f = physicalFloor(profile(), p);
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 98, vcpu: 1 }, { memoryMB: 280, vcpu: 1 }]);
  close(f.usd, 0.1 * (98 / 1024 * p.price.perGBSecond + p.price.perVcpuSecond) + 0.05 * (280 / 1024 * p.price.perGBSecond + p.price.perVcpuSecond), 'usd');
});

test('floor is below every strategy\'s predicted cost on every platform', () => {
  for (const platform of ['aws-lambda', 'gcp-cloud-run', 'alibaba-fc', 'openfaas']) {
    const floor = physicalFloor(profile(), platform).perMillionUSD;
    for (const strategy of ['unsplit', 'mopar', 'layerwise']) {
      const plan = planPartition(profile(), { platform, strategy, allowSloMiss: true });
      assert.ok(floor <= plan.predicted.costPerMillionUSD, `${platform} ${strategy}: floor ${floor} > ${plan.predicted.costPerMillionUSD}`);
    }
  }
});

test('floor, whole: one function holding all weights and the peak activations for the whole request', () => {
  const p = getPlatform('openfaas');
  const f = physicalFloor(profile(), p, { whole: true });
  // 52 + 26 + 210 + 2·5 = 298 MB for 150 ms at 1 vCPU.
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 298, vcpu: 1 }]);
  close(f.usd, 0.15 * (298 / 1024 * p.price.perGBSecond + p.price.perVcpuSecond), 'usd');
  assert.ok(f.usd > physicalFloor(profile(), p).usd);
});
