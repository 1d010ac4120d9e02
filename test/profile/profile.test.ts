/** profileModel end to end on tiny models: per-node times add up, RD ops, layers, saved JSON keyed by hash. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/graph/index.js';
import { MoparError } from '../../src/core/errors.js';
import { attribute, cpuScaling, loadProfile, parseOrtTrace, profileModel, saveProfile, type Profile } from '../../src/profile/index.js';
import { cgroupsAvailable } from '../../src/core/cgroup.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { prepare } from '../graph/compose.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-profile-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const resnet = join(dir, 'resnet50-tiny.onnx');
saveModel(buildZooModel('resnet50', { tiny: true }), resnet);

let cached: Profile | undefined;
async function resnetProfile(): Promise<Profile> {
  cached ??= await profileModel(resnet, { runs: 3, cpuScaling: false });
  return cached;
}

test('per-node times sum to the measured end-to-end p50 (tolerance 1e-6 relative: they are scaled to it)', async () => {
  const p = await resnetProfile();
  const sum = p.nodes.reduce((s, n) => s + n.ms, 0);
  assert.ok(p.measuredMs > 0);
  assert.ok(Math.abs(sum - p.measuredMs) <= 1e-6 * p.measuredMs, `sum ${sum} vs measured ${p.measuredMs}`);
  // Every non-Constant node got a kernel time from the unoptimised profile.
  assert.ok(p.nodes.filter((n) => n.op !== 'Constant').every((n) => n.ms > 0));
  const layerSum = p.layers.reduce((s, l) => s + l.ms, 0);
  assert.ok(Math.abs(layerSum - sum) <= 1e-6 * sum);
  assert.deepEqual(p.layers.flatMap((l) => l.nodes), p.nodes.map((n) => n.name), 'layers partition the nodes in order');
});

test('contract fields, shares sum to 1, Conv is resource-dominant on ResNet', async () => {
  const p = await resnetProfile();
  for (const k of ['nodes', 'measuredMs', 'peakRssMB', 'opShare', 'rdOps'] as const) assert.ok(k in p, k);
  for (const n of p.nodes) for (const k of ['name', 'op', 'ms', 'outputBytes', 'paramBytes'] as const) assert.ok(k in n, `${n.name}.${k}`);
  const total = Object.values(p.opShare).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-9);
  assert.equal(p.rdOps[0], 'Conv');
  assert.equal(p.memory.timelineMB.length, p.nodes.length);
  assert.ok(p.memory.rssMeasured && p.memory.measuredPeakRssMB > p.memory.baselineRssMB && p.memory.baselineRssMB > 10);
  assert.equal(p.peakRssMB, p.memory.measuredPeakRssMB);
  assert.ok(p.memory.measuredPeakRssDefaultMallocMB! > p.memory.baselineRssMB, 'default-malloc peak measured too');
  assert.ok(p.memory.loadPeakRssMB! <= p.memory.measuredPeakRssMB);
  const params = p.nodes.reduce((s, n) => s + n.paramBytes, 0);
  assert.ok(Math.abs(params / 2 ** 20 - p.memory.weightsMB) < 1e-9);
  assert.ok(p.layers.length >= 3);
  for (const l of p.layers) assert.ok(Array.isArray(l.splits) && l.cutBytesAfter > 0 && l.dominantOp);
});

test('saved profile round-trips; a profile for another model is rejected as stale', async () => {
  const p = await resnetProfile();
  const file = join(dir, 'p.json');
  saveProfile(p, file);
  assert.deepEqual(loadProfile(file, p.modelHash), p);
  assert.throws(() => loadProfile(file, 'f'.repeat(64)), (e: Error) => e instanceof MoparError && /stale/.test(e.message));
  writeFileSync(join(dir, 'bad.json'), '{not json');
  assert.throws(() => loadProfile(join(dir, 'bad.json')), (e: Error) => e instanceof MoparError && /not valid JSON/.test(e.message));
  writeFileSync(join(dir, 'other.json'), '{"kind":"mopar.plan"}');
  assert.throws(() => loadProfile(join(dir, 'other.json')), /not a mopar profile/);
  assert.throws(() => loadProfile(join(dir, 'missing.json')), /not found/);
});

test('optimised-mapped attribution maps fused kernels to original nodes and also sums to the measured time', async () => {
  const p = await profileModel(resnet, { runs: 2, cpuScaling: false, measureRss: false, attribution: 'optimised-mapped' });
  const sum = p.nodes.reduce((s, n) => s + n.ms, 0);
  assert.ok(Math.abs(sum - p.measuredMs) <= 1e-6 * p.measuredMs);
  assert.equal(p.rdOps[0], 'Conv');
  assert.equal(p.memory.rssMeasured, false);
  assert.equal(p.peakRssMB, p.memory.predictedPeakRssMB);
});

test('trace parsing: kernels grouped per run, warm-up dropped by the caller, medians scaled', async () => {
  const { graph } = await prepare(buildZooModel('resnet50', { tiny: true }));
  const [a, b] = [graph.nodes[0]!.name, graph.nodes[1]!.name];
  const ev = (name: string, ts: number, dur: number, cat = 'Node') => ({ name, cat, ts, dur, args: { op_name: 'X' } });
  const runs = parseOrtTrace([
    ev('model_run', 0, 100, 'Session'), ev(`${a}_kernel_time`, 1, 10), ev(`${b}_kernel_time`, 20, 30),
    ev('model_run', 200, 100, 'Session'), ev(`${a}_kernel_time`, 201, 20), ev(`${b}_kernel_time`, 230, 30),
    ev('model_run', 400, 100, 'Session'), ev(`${a}_kernel_time`, 401, 30), ev(`${b}_kernel_time`, 430, 60),
    ev('ReorderInput_kernel_time', 490, 5),
  ]);
  assert.equal(runs.length, 3);
  assert.equal(runs[2]!.get(b)!.us, 60);
  const t = attribute(graph, runs, 'unoptimised-scaled', 0.1);
  // medians: a 20 µs, b 30 µs → raw 0.05 ms, scaled ×2 to 0.1 ms.
  assert.ok(Math.abs(t.rawSumMs - 0.05) < 1e-12);
  assert.ok(Math.abs(t.ms.get(a)! - 0.04) < 1e-12 && Math.abs(t.ms.get(b)! - 0.06) < 1e-12);
  assert.ok(Math.abs(t.unmappedMs - 0.005 / 3) < 1e-12, 'ReorderInput maps to no node');
});

test('CPU scaling: with a known 1-thread point, the 2-thread point is that point scaled by a side-by-side ratio', async () => {
  const { feeds } = await prepare(buildZooModel('resnet50', { tiny: true }));
  // A known time a thousand times the tiny model's: a point measured on its own would be milliseconds.
  const known = { threads: 1, ms: 5000 };
  const points = await cpuScaling(resnet, feeds, { runs: 2, threads: [1, 2], quotas: [], known });
  const two = points.find((p) => p.threads === 2);
  assert.ok(two, JSON.stringify(points));
  assert.ok(two.ms > known.ms / 4 && two.ms < known.ms * 4, `2-thread point ${two.ms} ms is not the known point scaled by a run-time ratio`);
  assert.equal(points.find((p) => p.threads === 1)?.ms, known.ms);
});

test('CPU scaling: a thread point and, where cgroups are writable, a quota point from a child process', async () => {
  const { feeds } = await prepare(buildZooModel('resnet50', { tiny: true }));
  const points = await cpuScaling(resnet, feeds, { runs: 2, threads: [1], quotas: [0.5] });
  assert.ok(points.some((p) => p.method === 'threads' && p.vcpu === 1 && p.ms > 0));
  if (cgroupsAvailable().cpu) assert.ok(points.some((p) => p.method === 'cgroup-quota' && p.vcpu === 0.5 && p.ms > 0), JSON.stringify(points));
  assert.deepEqual(points.map((p) => p.vcpu), [...points.map((p) => p.vcpu)].sort((a, b) => a - b));
});
