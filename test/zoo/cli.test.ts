import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph, loadModel } from '../../src/graph/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-zoo-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function mopar(...args: string[]) {
  return spawnSync(process.execPath, ['bin/mopar.js', ...args], { encoding: 'utf8', env: { ...process.env, MOPAR_FROM_SOURCE: '1' } });
}

test('mopar zoo list --json prints one array of {name, category, params}', () => {
  const r = mopar('zoo', 'list', '--json');
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { name: string; category: string; params: number }[];
  assert.equal(list.length, 13);
  const resnet = list.find((m) => m.name === 'resnet50')!;
  assert.equal(resnet.category, 'classic-cnn');
  assert.ok(Math.abs(resnet.params / 25.6e6 - 1) < 0.01);
});

test('mopar zoo build writes a tiny model; a bad name is one error line, exit 2', () => {
  const out = join(dir, 'gpt2.onnx');
  const r = mopar('zoo', 'build', 'gpt2', '--tiny', '--seed', '5', '-o', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const built = JSON.parse(r.stdout) as { bytes: number; params: number; seed: number };
  assert.equal(built.bytes, statSync(out).size);
  assert.equal(built.seed, 5);
  assert.equal((JSON.parse(r.stdout) as { batch: unknown }).batch, 1, 'tiny models stay static by default');

  const dyn = mopar('zoo', 'build', 'resnet50', '--tiny', '--batch', 'dynamic', '-o', join(dir, 'r.onnx'), '--json');
  assert.equal(dyn.status, 0, dyn.stderr);
  assert.equal((JSON.parse(dyn.stdout) as { batch: string }).batch, 'dynamic');
  const badBatch = mopar('zoo', 'build', 'resnet50', '--tiny', '--batch', '4', '-o', join(dir, 'r.onnx'));
  assert.equal(badBatch.status, 2);
  assert.match(badBatch.stderr, /^mopar: error: --batch must be 1 or dynamic, got '4'\n$/);

  // Full size: dynamic batch by default, `--batch 1` still static (mobilenetv2: the smallest full-size file).
  for (const [flags, want] of [[[], 'batch'], [['--batch', '1'], 1]] as const) {
    const file = join(dir, 'mnv2.onnx');
    const full = mopar('zoo', 'build', 'mobilenetv2', ...flags, '-o', file, '--json');
    assert.equal(full.status, 0, full.stderr);
    assert.equal((JSON.parse(full.stdout) as { batch: unknown }).batch, want === 'batch' ? 'dynamic' : 1);
    const g = buildGraph(loadModel(file).proto);
    assert.equal(g.tensors.get(g.inputs[0]!)!.shape![0], want, `${flags.join(' ') || 'default'}: input dim 0`);
  }

  const bad = mopar('zoo', 'build', 'alexnet', '-o', join(dir, 'x.onnx'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^mopar: error: unknown zoo model 'alexnet'; known models: vgg16, resnet50, .*dlrm, dlrm-criteo\n$/);
});
