import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../src/plan/index.js';
import { measureVerify, type VerifyMeasurement } from '../../src/bench/index.js';
import { writeParallelParts } from './parallel-parts.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir } from '../deploy/helpers.js';

test('verify --measure --json: measured p50/p99/cost beside the plan\'s prediction and their ratios, with the load; needs plan.json', async () => {
  const d = tmpDir('verify-measure');
  try {
    assert.equal((await runCli(['zoo', 'build', 'mobilenetv2', '--tiny', '-o', join(d, 'm.onnx')])).code, 0);
    const p = await runCli(['partition', join(d, 'm.onnx'), '-o', join(d, 'parts'), '--strategy', 'uniform:2', '--slo-ms', '1000', '--runs', '1']);
    assert.equal(p.code, 0, p.stderr);
    const r = await runCli(['verify', join(d, 'm.onnx'), join(d, 'parts'), '--measure', '--requests', '20', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { ok: boolean; requests: number; errors: number; measured: Record<string, number>; predicted: VerifyMeasurement['predicted']; ratio: VerifyMeasurement['ratio']; load: { cores: number } };
    assert.equal(j.ok, true);
    assert.equal(j.requests, 20);
    assert.equal(j.errors, 0);
    assert.ok(j.measured.p50Ms! > 0 && j.measured.p99Ms! >= j.measured.p50Ms!, JSON.stringify(j.measured));
    assert.ok(j.measured.costPerMillionUSD! > 0);
    assert.ok(Math.abs(j.ratio.p50 - j.measured.p50Ms! / j.predicted.latencyMs) < 1e-9);
    assert.ok(Math.abs(j.ratio.cost - j.measured.costPerMillionUSD! / j.predicted.costPerMillionUSD) < 1e-9);
    assert.ok(j.load.cores >= 1);
    // The same prediction with the plan's one hand-off priced through shared memory (served-here.test.ts checks the arithmetic).
    const here = j.predicted.servedHere;
    assert.equal(here.transport, 'shm');
    assert.ok(here.plannedHandOffMs > 0 && here.handOffMs > 0, JSON.stringify(here));
    // The chain re-priced, raised only by the plan's quota-rate bound, never above the plan's own median.
    assert.ok(here.latencyMs >= j.predicted.latencyMs - here.plannedHandOffMs + here.handOffMs - 1e-3 && here.latencyMs <= j.predicted.latencyMs, JSON.stringify(here));
    assert.ok(Math.abs(j.ratio.p50Here - j.measured.p50Ms! / here.latencyMs) < 1e-9);
    assert.ok(j.predicted.p99Ms === null ? j.ratio.p99Here === null : Math.abs(j.ratio.p99Here! - j.measured.p99Ms! / here.p99Ms!) < 1e-9);
    // Function by function: the plan's compute and hand-in beside each function's measured call and host run.
    const fns = (j as unknown as { functions: VerifyMeasurement['functions'] }).functions;
    const plan = JSON.parse(readFileSync(join(d, 'parts', 'plan.json'), 'utf8')) as Plan;
    assert.deepEqual(fns.map((f) => f.name), plan.functions.map((f) => f.name));
    for (const [i, f] of fns.entries()) {
      assert.equal(f.measured.calls, 20, `${f.name} was called by every request`);
      assert.equal(f.predicted.computeMs, plan.functions[i]!.predicted.ms);
      assert.ok(f.measured.runMs > 0 && f.measured.callMs >= f.measured.runMs, JSON.stringify(f));
      assert.ok(Math.abs(f.runRatio! - f.measured.runMs / f.predicted.computeMs) < 1e-9);
    }
    const text = await runCli(['verify', join(d, 'm.onnx'), join(d, 'parts'), '--measure', '--requests', '5']);
    assert.match(text.stdout, /measured ÷ predicted/);
    assert.match(text.stdout, /predicted as served here/);
    assert.match(text.stdout, /shared-memory/);
    assert.match(text.stdout, /the 2 of 2 functions whose runs were furthest above their planned compute/);
    for (const f of plan.functions) assert.match(text.stdout, new RegExp(`\\n${f.name}\\s`), `a row for ${f.name}`);
  } finally {
    cleanup(d);
  }
});

test('verify --measure on parallel sub-slices: composed along the DAG where the cores do not suffice, validated against the served run where they do', { timeout: 180_000 }, async () => {
  const d = tmpDir('verify-compose');
  try {
    // A conv split by channel into two 1-vCPU sub-slices, then the rest: 2 functions at once need 2 vCPU.
    const { model: path, parts, plan } = await writeParallelParts(d);

    // Through the CLI, on this machine's cores.
    const r = await runCli(['verify', path, parts, '--measure', '--requests', '10', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as VerifyMeasurement & { ok: boolean };
    assert.equal(j.ok, true);
    assert.deepEqual(j.composition?.parallel, { functions: 2, vcpu: 2 });
    assert.equal(j.composition?.cores, availableParallelism());
    assert.equal(j.measuredAs, availableParallelism() >= 2 ? 'served' : 'composed');
    assert.equal(j.billedFrom, 'one-at-a-time');
    const text = await runCli(['verify', path, parts, '--measure', '--requests', '3']);
    assert.match(text.stdout, /composed/);

    // One core: the two sub-slices cannot run at once, so the latency is the composition.
    const one = await measureVerify(parts, 10, { cores: 1 });
    assert.equal(one.measuredAs, 'composed');
    assert.equal(one.errors, 0);
    assert.ok(one.measured.p50Ms > 0 && one.measured.p99Ms >= one.measured.p50Ms, JSON.stringify(one.measured));
    assert.equal(one.measured.p50Ms, one.composition!.p50Ms);
    assert.equal(one.composition!.validation, undefined);
    assert.ok(one.measured.costPerMillionUSD > 0);
    assert.equal(one.ratio.p50, one.measured.p50Ms / plan.predicted.latencyMs);

    // Cores to spare: served concurrently and composed, the served latency reported, their ratio the validation.
    const many = await measureVerify(parts, 10, { cores: 64 });
    assert.equal(many.measuredAs, 'served');
    const v = many.composition!.validation!;
    assert.ok(v.servedP50Ms > 0 && v.composedP50Ms > 0, JSON.stringify(v));
    assert.equal(v.servedP50Ms, many.measured.p50Ms);
    assert.equal(v.composedP50Ms, many.composition!.p50Ms);
    assert.equal(v.ratio, v.servedP50Ms / v.composedP50Ms);
  } finally {
    cleanup(d);
  }
});
