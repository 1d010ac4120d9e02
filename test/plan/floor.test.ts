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

// Issue 27: below one core the floor prices work at its best CFS phase (plan/quota-model.ts quotaFloorMs): a quota
// spent just before a period boundary and the next one just after run 2·v·P at full speed. So 100 ms of work at
// 0.5 vCPU and 50 ms at 0.25 vCPU take no longer than at 1 vCPU, for half or a quarter of the CPU: the floor's
// configurations below were 1 vCPU (t1/v made every share below 1 cost the same per unit of work).
test('floor on AWS Lambda: memory rides with the CPU; the best phase of a fractional quota halves the CPU-seconds', () => {
  const p = getPlatform('aws-lambda');
  const f = physicalFloor(profile(), p);
  assert.deepEqual(f.layers.map((l) => l.config.vcpu), [0.5, 0.25]);
  assert.deepEqual(f.layers.map((l) => l.ms), [100, 50], 'full speed at the best phase');
  const want = (0.1 * 885 + 0.05 * 443) / 1024 * p.price.perGBSecond + 0.2e-6;
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

test('floor on Cloud Run: a fractional quota with the live memory; at least one 100 ms granule at the smallest configuration', () => {
  const p = getPlatform('gcp-cloud-run');
  const f = physicalFloor(profile(), p);
  const rate = (mb: number, v: number) => mb / 1024 * p.price.perGBSecond + v * p.price.perVcpuSecond;
  // Was 1 vCPU each (before issue 27's quota model; see above).
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 128, vcpu: 0.5 }, { memoryMB: 280, vcpu: 0.25 }]);
  close(f.usd, 0.1 * rate(128, 0.5) + 0.05 * rate(280, 0.25) + 0.4e-6, 'usd');
  // 1.5 ms of work: below one granule at 0.08 vCPU and 128 MB (the smallest Cloud Run size), so that granule is the floor.
  const tiny = syntheticProfile([{ ms: 1.5, paramMB: 0.1, actMB: 0.1, cutBytes: 4 }]);
  close(physicalFloor(tiny, p).usd, 0.1 * (128 / 1024 * p.price.perGBSecond + 0.08 * p.price.perVcpuSecond) + 0.4e-6, 'tiny usd');
});

test('floor on Function Compute: at least 1 GB per vCPU, at the fractional quotas of the best phase', () => {
  const p = getPlatform('alibaba-fc');
  const f = physicalFloor(profile(), p);
  // Was 0.15 s × (1 vCPU + 1 GB) before issue 27's quota model.
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 512, vcpu: 0.5 }, { memoryMB: 320, vcpu: 0.25 }]);
  close(f.usd, 0.1 * (0.5 * p.price.perGBSecond + 0.5 * p.price.perVcpuSecond)
    + 0.05 * (320 / 1024 * p.price.perGBSecond + 0.25 * p.price.perVcpuSecond) + p.price.perRequest, 'usd');
});

test('floor on OpenFaaS: memory and CPU independent, a fractional quota with exactly the live memory', () => {
  const p = getPlatform('openfaas');
  const f = physicalFloor(profile(), p);
  // Was 1 vCPU each before issue 27's quota model.
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 98, vcpu: 0.5 }, { memoryMB: 280, vcpu: 0.25 }]);
  close(f.usd, 0.1 * (98 / 1024 * p.price.perGBSecond + 0.5 * p.price.perVcpuSecond) + 0.05 * (280 / 1024 * p.price.perGBSecond + 0.25 * p.price.perVcpuSecond), 'usd');
});

test('floor is below every strategy\'s predicted cost on every platform', () => {
  for (const platform of ['aws-lambda', 'gcp-cloud-run', 'alibaba-fc', 'openfaas']) {
    const floor = physicalFloor(profile(), platform).perMillionUSD;
    for (const strategy of ['unsplit', 'mopar', 'layerwise', 'uniform:2', 'gillis', 'amps']) {
      const plan = planPartition(profile(), { platform, strategy, allowSloMiss: true });
      assert.ok(floor <= plan.predicted.costPerMillionUSD, `${platform} ${strategy}: floor ${floor} > ${plan.predicted.costPerMillionUSD}`);
    }
  }
});

test('floor, whole: one function holding all weights and the peak activations for the whole request', () => {
  const p = getPlatform('openfaas');
  const f = physicalFloor(profile(), p, { whole: true });
  // 52 + 26 + 210 + 2·5 = 298 MB; 150 ms of work at 0.5 vCPU: 50 ms before a boundary, 50 after, a throttled
  // 50 ms, 50 more: 200 ms (was 150 ms at 1 vCPU before issue 27's quota model).
  assert.deepEqual(f.layers.map((l) => l.config), [{ memoryMB: 298, vcpu: 0.5 }]);
  assert.equal(f.layers[0]!.ms, 200);
  close(f.usd, 0.2 * (298 / 1024 * p.price.perGBSecond + 0.5 * p.price.perVcpuSecond), 'usd');
  assert.ok(f.usd > physicalFloor(profile(), p).usd);
});

test('floor rests on the fastest timed run, not the (possibly loaded) median', () => {
  const p = getPlatform('openfaas');
  const median = physicalFloor(profile(), p);
  // The same profile whose fastest run was 80 % of its median: the floor's work shrinks with it, and stays
  // below every plan made from that profile.
  const pr = { ...profile(), minMs: 0.8 * profile().measuredMs };
  const fast = physicalFloor(pr, p);
  assert.ok(fast.usd < median.usd);
  assert.ok(Math.abs(fast.ms - 0.8 * median.ms) <= 1e-9 * median.ms, `${fast.ms} vs ${median.ms}`);
  for (const strategy of ['unsplit', 'mopar', 'layerwise']) {
    assert.ok(fast.perMillionUSD <= planPartition(pr, { platform: 'openfaas', strategy, allowSloMiss: true }).predicted.costPerMillionUSD);
  }
});
