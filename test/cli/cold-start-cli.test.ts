/** CLI surface of issue 16 (weights16): serve --weights, plan --cold-slo-ms (docs/cold-starts.md). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/graph/index.js';
import { profileModel, saveProfile } from '../../src/profile/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli } from './run-cli.js';

let dir: string;
let model: string;
let profile: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-cold-cli-'));
  model = join(dir, 'm.onnx');
  saveModel(fixture('residual').build(), model);
  // In-process, for the plan that must fail: one CLI profiling pass fewer.
  profile = join(dir, 'm.profile.json');
  saveProfile(await profileModel(model, { runs: 1, cpuScaling: false, measureRss: false }), profile);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const FAST_PROFILE = ['--runs', '1', '--no-rss', '--no-cpu-scaling'];

test('serve --weights takes local or s3; anything else is exit 2 before anything starts', async () => {
  const r = await runCli(['serve', model, '--port', '0', '--weights', 'gcs']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /mopar: error: --weights must be local or s3, got 'gcs'/);
  const m = await runCli(['serve', model, '--port', '0', '--weights', 's3', '--weights-mbps', '0']);
  assert.equal(m.code, 2, m.stderr);
  assert.match(m.stderr, /--weights-mbps must be a number > 0/);
});

test('plan --cold-slo-ms: the plan carries its cold latency; an impossible bound is exit 2 naming the fastest', async () => {
  const ok = await runCli(['plan', model, '--platform', 'aws-lambda', '--json', '--cold-slo-ms', '100000', ...FAST_PROFILE]);
  assert.equal(ok.code, 0, ok.stderr);
  const plan = JSON.parse(ok.stdout);
  assert.ok(plan.predicted.coldLatencyMs > plan.predicted.latencyMs);
  assert.equal(plan.coldSloMs, 100000);
  assert.equal(plan.coldSloMet, true);
  assert.ok(plan.unsplit.coldLatencyMs > 0);
  assert.ok(plan.alternatives.every((a: { coldSloMet?: boolean }) => a.coldSloMet === true));
  // Below the platform's sandbox + runtime start alone (375 ms on aws-lambda): no plan can meet it.
  const bad = await runCli(['plan', model, '--platform', 'aws-lambda', '--cold-slo-ms', '100', '--profile', profile]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /mopar: error: no mopar plan meets --cold-slo-ms 100: the fastest first request after idle takes \d+ ms/);
});
