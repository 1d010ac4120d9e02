import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError } from '../../src/core/errors.js';
import { dnsLabel, platformNames, readManifestForDeploy, stagesOf, type DeployFunction } from '../../src/deploy/index.js';
import { cleanup, tmpDir, writeBranchyDir } from './helpers.js';

const fn = (name: string, inputs: string[], outputs: string[], group = name) =>
  ({ name, inputs, outputs, group, file: '', path: '', fileBytes: 0, sha256: '', memoryMB: 128, vcpu: 1, threads: 1, weightsBytes: 0, predictedMs: 0 }) as DeployFunction;

test('stages follow dataflow, merge one group, and know which tensors stay live', () => {
  // Listed out of order on purpose: the tail first.
  const fns = [fn('t', ['a', 'b', 'x'], ['y']), fn('h', ['x'], ['h']), fn('p', ['h'], ['a'], 'g'), fn('q', ['h'], ['b'], 'g')];
  const stages = stagesOf({ inputs: ['x'], outputs: ['y'] }, fns);
  assert.deepEqual(stages.map((s) => s.functions.map((f) => f.name)), [['h'], ['p', 'q'], ['t']]);
  assert.deepEqual(stages.map((s) => s.liveAfter.sort()), [['h', 'x'], ['a', 'b', 'x'], ['y']]);
});

test('bad dataflow is a MoparError naming the problem', () => {
  assert.throws(() => stagesOf({ inputs: ['x'], outputs: ['y'] }, [fn('a', ['zz'], ['y'])]), /reads 'zz'/);
  assert.throws(() => stagesOf({ inputs: ['x'], outputs: ['y'] }, [fn('a', ['x'], ['h'], 'g'), fn('b', ['h'], ['y'], 'g')]), /same parallel group 'g'/);
  assert.throws(() => stagesOf({ inputs: ['x'], outputs: ['y'] }, [fn('a', ['x'], ['y']), fn('b', ['x'], ['y'])]), /produced by both/);
  assert.throws(() => stagesOf({ inputs: ['x'], outputs: ['nope'] }, [fn('a', ['x'], ['y'])]), /model output 'nope'/);
});

test('platform names are DNS-1123 labels, unique and bounded', () => {
  assert.equal(dnsLabel('ResNet_50.v1/slice#3'), 'resnet-50-v1-slice-3');
  assert.equal(dnsLabel('3d-model'), 'm-3d-model');
  const names = platformNames('m'.repeat(70), [{ name: 'a' }, { name: 'a!' }]);
  for (const n of names.values()) assert.match(n, /^[a-z][a-z0-9-]{0,62}$/);
  assert.equal(new Set(names.values()).size, 2);
});

test('readManifestForDeploy checks files and fields', async () => {
  const d = tmpDir('manifest');
  try {
    assert.throws(() => readManifestForDeploy(d), (e: unknown) => e instanceof MoparError && /no manifest.json/.test(e.message));
    const b = await writeBranchyDir(d);
    const input = readManifestForDeploy(d);
    assert.equal(input.stages.length, 3);
    assert.equal(input.stages[1]!.functions.length, 3);
    writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...b.manifest, functions: [{ ...b.manifest.functions[0], file: 'gone.onnx' }] }));
    assert.throws(() => readManifestForDeploy(d), /gone.onnx is missing/);
    writeFileSync(join(d, 'manifest.json'), '{');
    assert.throws(() => readManifestForDeploy(d), /not valid JSON/);
  } finally {
    cleanup(d);
  }
});
