import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { planPartition, PLATFORMS, type Plan } from '../../src/plan/index.js';
import { profileModel, saveProfile, type Profile } from '../../src/profile/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { runCli } from '../cli/run-cli.js';
import { checkPlan } from './check-plan.js';

let dir = '';
const profiles: Record<string, Profile> = {};
const MODELS = ['resnet50', 'bert-base'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-plan-'));
  for (const name of MODELS) {
    writeZooModel(name, join(dir, `${name}.onnx`), { tiny: true });
    profiles[name] = await profileModel(join(dir, `${name}.onnx`), { runs: 2 });
    saveProfile(profiles[name], join(dir, `${name}.profile.json`));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every strategy and platform gives a valid plan from a real tiny-model profile', () => {
  for (const name of MODELS) {
    const profile = profiles[name]!;
    for (const p of PLATFORMS) {
      for (const strategy of ['mopar', 'unsplit', 'uniform:2', 'layerwise', 'gillis', 'amps']) {
        // Tiny models run in well under a millisecond: a loose SLO lets the cut strategies meet it.
        for (const sloMs of [undefined, 500]) {
          const plan = planPartition(profile, { platform: p.id, strategy, sloMs, allowSloMiss: true });
          checkPlan(plan, profile);
        }
      }
    }
  }
});

test('mopar plan --profile --json -o: the contract fields, the same plan on disk', async () => {
  const out = join(dir, 'plan.json');
  const r = await runCli(['plan', join(dir, 'resnet50.onnx'), '--platform', 'gcp-cloud-run', '--profile',
    join(dir, 'resnet50.profile.json'), '--strategy', 'uniform:2', '--slo-ms', '400', '--json', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as Plan;
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), plan);
  assert.equal(plan.strategy, 'uniform:2');
  assert.equal(plan.platform, 'gcp-cloud-run');
  assert.equal(plan.sloMs, 400);
  for (const f of plan.functions) {
    assert.equal(typeof f.name, 'string');
    assert.ok(f.memoryMB > 0 && f.vcpu > 0 && f.nodes.length > 0 && typeof f.group === 'string');
  }
  assert.equal(new Set(plan.functions.map((f) => f.group)).size, 2);
  for (const k of ['latencyMs', 'costPerMillionUSD', 'efficiency'] as const) assert.equal(typeof plan.predicted[k], 'number');
  checkPlan(plan, profiles.resnet50!);
});

test('mopar plan prints a table per function and the totals against unsplit', async () => {
  const r = await runCli(['plan', join(dir, 'bert-base.onnx'), '--platform', 'openfaas', '--profile',
    join(dir, 'bert-base.profile.json'), '--slo-ms', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /function\s+group\s+layers\s+nodes\s+split\s+dominant\s+memory MB\s+vCPU\s+ms\s+hand-in ms\s+\$\/1M req/);
  assert.match(r.stdout, /^unsplit\s+[\d.]+\s+\$[\d.]+/m);
  assert.match(r.stdout, /^plan \/ unsplit\s+[\d.]+×\s+[\d.]+×/m);
});

test('a stale profile, a bad platform, an impossible SLO: exit 2 with one clear line', async () => {
  const other = join(dir, 'changed.onnx');
  writeFileSync(other, readFileSync(join(dir, 'resnet50.onnx')).subarray(0, 100));
  const stale = await runCli(['plan', other, '--platform', 'aws-lambda', '--profile', join(dir, 'resnet50.profile.json')]);
  assert.equal(stale.code, 2);
  assert.match(stale.stderr, /^mopar: error: profile .* is stale/);
  const bad = await runCli(['plan', join(dir, 'resnet50.onnx'), '--platform', 'azure', '--profile', join(dir, 'resnet50.profile.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^mopar: error: unknown platform 'azure'/);
  const slo = await runCli(['plan', join(dir, 'resnet50.onnx'), '--platform', 'aws-lambda', '--strategy', 'layerwise',
    '--profile', join(dir, 'resnet50.profile.json'), '--slo-ms', '5']);
  assert.equal(slo.code, 2);
  assert.match(slo.stderr, /^mopar: error: no 'layerwise' plan meets the latency SLO of 5\.0 ms on aws-lambda/);
  assert.equal(slo.stderr.trim().split('\n').length, 1, 'one line, no stack');
  const shapes = await runCli(['plan', join(dir, 'resnet50.onnx'), '--platform', 'aws-lambda', '--profile',
    join(dir, 'resnet50.profile.json'), '--input', 'input=2,3,32,32']);
  assert.equal(shapes.code, 2);
  assert.match(shapes.stderr, /was made with input=/);
});

test('without --profile, mopar plan profiles the model first', async () => {
  const r = await runCli(['plan', join(dir, 'resnet50.onnx'), '--platform', 'alibaba-fc', '--runs', '1',
    '--no-cpu-scaling', '--no-rss', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as Plan;
  assert.equal(plan.modelHash, profiles.resnet50!.modelHash);
  assert.ok(plan.functions.length >= 1);
});
