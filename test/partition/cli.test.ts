import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, openModel } from '../../src/graph/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli } from '../cli/run-cli.js';
import { computeNodes, evenCuts, makePlan, tmpDir, writeModel } from './plans.js';
import { rehash } from '../runtime/helpers.js';

describe('mopar build / verify (CLI)', () => {
  it('builds from a plan file, verifies (exit 0, JSON), and exits 1 on a corrupted slice', async () => {
    const dir = tmpDir('cli');
    const { path, hash } = writeModel(fixture('residual').build(), dir);
    const { graph: g, inputShapes } = await openModel(path);
    const planPath = join(dir, 'plan.json');
    writeFileSync(planPath, JSON.stringify(makePlan(hash, inputShapes, evenCuts(computeNodes(g), 3).map((n) => ({ nodes: n })))));
    const out = join(dir, 'p');
    const b = await runCli(['build', path, '--plan', planPath, '-o', out, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const manifest = JSON.parse(b.stdout);
    assert.equal(manifest.functions.length, 3);
    for (const f of manifest.functions) for (const k of ['name', 'file', 'inputs', 'outputs', 'group', 'memoryMB', 'vcpu']) assert.ok(k in f, k);
    const v = await runCli(['verify', path, out, '--runs', '2', '--optimization', 'disabled', '--json']);
    assert.equal(v.code, 0, v.stderr);
    const r = JSON.parse(v.stdout);
    assert.equal(r.ok, true);
    assert.equal(r.runs, 2);
    assert.equal(r.maxRelErr, 0, 'vertical cuts without onnxruntime fusions are bit-identical');
    assert.equal(typeof r.maxAbsErr, 'number');
    // The allclose rule's fields (docs/contracts.md, second round).
    assert.equal(r.rtol, 1e-4);
    assert.equal(typeof r.atol, 'number');
    assert.deepEqual(Object.keys(r.worst).sort(), ['got', 'index', 'output', 'want']);
    // Corrupt one weight of the middle slice.
    const f = manifest.functions[1];
    const model = decodeModel(readFileSync(join(out, f.file)));
    const w = model.graph!.initializer.find((t) => t.rawData.length >= 16)!;
    const vals = new Float32Array(new Uint8Array(w.rawData).buffer).map((x) => -x);
    w.rawData = new Uint8Array(vals.buffer);
    writeFileSync(join(out, f.file), encodeModel(model));
    const stale = await runCli(['verify', path, out, '--runs', '1']);
    assert.equal(stale.code, 2, stale.stderr);
    assert.match(stale.stderr, /^mopar: error: .*does not match its sha256/m);
    rehash(out, f.name); // a slice that is consistent with its manifest but computes something else
    const bad = await runCli(['verify', path, out, '--runs', '1', '--json']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(JSON.parse(bad.stdout).ok, false);
    assert.match(bad.stderr, /^mopar: error: partition does not reproduce the model/m);
  });

  it('partition = profile + plan + build in one step; the result verifies', async () => {
    const dir = tmpDir('cli-part');
    const { path } = writeModel(fixture('residual').build(), dir);
    const out = join(dir, 'p');
    const p = await runCli(['partition', path, '-o', out, '--strategy', 'uniform:2', '--slo-ms', '100000', '--runs', '2',
      '--no-rss', '--no-cpu-scaling', '--json'], {}, 120_000);
    assert.equal(p.code, 0, p.stderr);
    const m = JSON.parse(p.stdout);
    assert.equal(m.kind, 'mopar.manifest');
    assert.equal(m.strategy, 'uniform:2');
    assert.ok(m.functions.length >= 1);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    assert.equal(plan.functions.length, m.functions.length);
    const v = await runCli(['verify', path, out, '--runs', '1']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^OK: /);
  });

  it('bad inputs: missing plan, not a plan, plan for another model, missing partition dir → exit 2, one line', async () => {
    const dir = tmpDir('cli-bad');
    const { path } = writeModel(fixture('conv-chain').build(), dir);
    const notPlan = join(dir, 'x.json');
    writeFileSync(notPlan, '{"hello": 1}');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify(makePlan('f'.repeat(64), {}, [{ nodes: ['a'] }])));
    const { graph: g, inputShapes } = await openModel(path);
    const good = makePlan('f'.repeat(64), inputShapes, [{ nodes: computeNodes(g) }]);
    const badMemory = join(dir, 'bad-memory.json');
    writeFileSync(badMemory, JSON.stringify({ ...good, functions: [{ ...good.functions[0], memoryMB: 'abc' }] }));
    const badVcpu = join(dir, 'bad-vcpu.json');
    writeFileSync(badVcpu, JSON.stringify({ ...good, functions: [{ ...good.functions[0], vcpu: -3 }] }));
    for (const [args, re] of [
      [['build', path, '--plan', badMemory, '-o', join(dir, 'o')], /bad-memory\.json: functions\[0\]\.memoryMB must be a number/],
      [['build', path, '--plan', badVcpu, '-o', join(dir, 'o')], /bad-vcpu\.json: functions\[0\]\.vcpu must be > 0/],
      [['build', path, '--plan', join(dir, 'nope.json'), '-o', join(dir, 'o')], /plan file not found/],
      [['build', path, '--plan', notPlan, '-o', join(dir, 'o')], /not a mopar plan/],
      [['build', path, '--plan', other, '-o', join(dir, 'o')], /another model/],
      [['verify', path, join(dir, 'nowhere')], /partition directory not found/],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
