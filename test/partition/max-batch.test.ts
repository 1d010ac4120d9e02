/**
 * The model's max batch (issue 31, issue 26 item 2): plan and partition size every function's memory for it, the
 * manifest carries it, verify refuses to run past it, and a fixed-batch model has none.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { modelProfile, partitionModel, verifyPartition, type ProfiledModel } from '../../src/partition/index.js';
import { DEFAULT_MAX_BATCH, planPartition } from '../../src/plan/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { validate } from '../../src/core/index.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

const PROFILING = { runs: 2, measureRss: false, cpuScaling: false };
let dir = '';
let model = '';
let fixedModel = '';
let profiled: ProfiledModel;

before(async () => {
  dir = tmpDir('max-batch');
  model = join(dir, 'dyn.onnx');
  fixedModel = join(dir, 'fixed.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  writeZooModel('mobilenetv2', fixedModel, { tiny: true });
  profiled = await modelProfile(model, { profiling: PROFILING });
});
after(() => cleanup(dir));

test('memory grows with the max batch on a dynamic model; weights do not scale, so far less than linearly', () => {
  const at = (maxBatch: number) => planPartition(profiled.profile, { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true, graph: profiled.graph, maxBatch });
  const p1 = at(1);
  const p8 = at(8);
  const p64 = at(64);
  assert.equal(p8.maxBatch, 8);
  const peak = (p: typeof p1) => p.functions.map((f) => f.predicted.peakMB);
  const mem = (p: typeof p1) => p.functions.map((f) => f.memoryMB);
  // Per function never less (a slice whose activations are a few kB, as the classifier's, grows under peakMB's
  // 0.1 MB rounding — where the uniform cut falls follows the profile's timings); in all, strictly more.
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  peak(p8).forEach((mb, i) => assert.ok(mb >= peak(p1)[i]!, `function ${i}: ${mb} MB at 8 vs ${peak(p1)[i]} MB at 1`));
  peak(p64).forEach((mb, i) => assert.ok(mb >= peak(p8)[i]!, `function ${i}: ${mb} MB at 64 vs ${peak(p8)[i]} MB at 8`));
  assert.ok(sum(peak(p8)) > sum(peak(p1)) && sum(peak(p64)) > sum(peak(p8)), `in all: ${sum(peak(p1))} / ${sum(peak(p8))} / ${sum(peak(p64))} MB at 1 / 8 / 64`);
  mem(p64).forEach((mb, i) => assert.ok(mb >= mem(p1)[i]!));
  // The activation part grows by the batch: (peak(64) − peak(1)) = 63/7 × (peak(8) − peak(1)), to rounding.
  peak(p64).forEach((mb, i) => {
    const d8 = peak(p8)[i]! - peak(p1)[i]!;
    assert.ok(Math.abs((mb - peak(p1)[i]!) - 9 * d8) <= 0.2 + 0.01 * mb, `function ${i}: not linear in the batch`);
  });
  // Without a max batch (a profile planned alone): sized for the profiled shapes, as before.
  const plain = planPartition(profiled.profile, { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true, graph: profiled.graph });
  assert.equal(plain.maxBatch, undefined);
  assert.deepEqual(peak(plain), peak(p1));
  assert.throws(() => at(0), /--max-batch must be an integer ≥ 1, got 0/);
});

test('partition: the manifest carries maxBatch (default DEFAULT_MAX_BATCH) and passes its schema; a fixed batch has none', async () => {
  const dflt = await partitionModel(model, { profiled, plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true } });
  assert.equal(dflt.plan.maxBatch, DEFAULT_MAX_BATCH);
  const out = join(dir, 'p4');
  const built = await partitionModel(model, { profiled, plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true, maxBatch: 4 }, outDir: out });
  assert.equal(built.plan.maxBatch, 4);
  assert.equal(built.manifest!.maxBatch, 4);
  validate('manifest', JSON.parse(JSON.stringify(built.manifest)), 'manifest.json');
  validate('plan', JSON.parse(JSON.stringify(built.plan)), 'plan.json');
  // At the max batch the chain still equals the unsplit model; past it verify refuses.
  const r = await verifyPartition(model, out, { runs: 1, batch: 4 });
  assert.ok(r.ok, `maxRelErr ${r.maxRelErr}`);
  assert.equal(r.batch, 4);
  await assert.rejects(verifyPartition(model, out, { runs: 1, batch: 5 }), /batch 5 is over this model's max batch 4/);

  const fixed = await partitionModel(fixedModel, { profiling: PROFILING, plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true, maxBatch: 4 }, outDir: join(dir, 'fixed') });
  assert.equal(fixed.plan.maxBatch, undefined);
  assert.equal(fixed.manifest!.maxBatch, undefined);
  assert.ok(fixed.plan.notes?.some((n) => /--max-batch 4 does not apply: the model's batch is fixed/.test(n)), JSON.stringify(fixed.plan.notes));
});

test('CLI: --max-batch on plan and partition (default in --help), verify --batch over it is exit 2 naming the limit', async () => {
  for (const verb of ['plan', 'partition']) {
    const help = await runCli([verb, '--help']);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--max-batch <n>.*\(default 8\)/, verb);
  }
  const out = join(dir, 'cli');
  const p = await runCli(['partition', model, '--platform', 'aws-lambda', '--strategy', 'uniform:2', '--allow-slo-miss', '--runs', '2', '--no-cpu-scaling', '--no-rss',
    '--max-batch', '3', '--json', '-o', out], {}, 120_000);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(JSON.parse(p.stdout).maxBatch, 3);
  const v = await runCli(['verify', model, out, '--batch', '4', '--runs', '1']);
  assert.equal(v.code, 2, v.stderr);
  assert.match(v.stderr, /^mopar: error: batch 4 is over this model's max batch 3/);
  const bad = await runCli(['plan', model, '--max-batch', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-batch must be an integer ≥ 1, got '0'/);
});
