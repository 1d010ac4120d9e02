/**
 * Issue 26: `deploy` writes into a staging folder beside OUT and renames it into place only when complete; a
 * model whose input is too large to hold is refused by name before anything is written.
 */
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { sha256File } from '../../src/core/index.js';
import { GraphBuilder, saveModel } from '../../src/graph/index.js';
import { deploy } from '../../src/deploy/index.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeBranchyDir } from './helpers.js';

const d = tmpDir('staging');
after(() => cleanup(d));
const built = writeBranchyDir(join(d, 'built'));

/** Runs `fn` while writing a file named `name` fails (a full disk, say): ESM named imports of node:fs see it too. */
async function failingWrite<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const real = fs.writeFileSync;
  const m = mock.method(fs, 'writeFileSync', (...args: Parameters<typeof real>) => {
    if (typeof args[0] === 'string' && args[0].endsWith(name)) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${name}'`), { code: 'ENOSPC' });
    return real(...args);
  });
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    m.mock.restore();
    syncBuiltinESMExports();
  }
}

test('a deploy that fails part-way leaves no OUT and no staging folder; OUT appears whole, paths name OUT', async () => {
  const { dir } = await built;
  const parent = join(d, 'p1');
  mkdirSync(parent);
  const out = join(parent, 'out');
  await assert.rejects(failingWrite('README.md', () => deploy(dir, out, { target: 'openfaas' })), /ENOSPC/);
  assert.deepEqual(readdirSync(parent), [], 'nothing partial beside or at OUT');
  const res = await deploy(dir, out, { target: 'openfaas' });
  assert.deepEqual(readdirSync(parent), ['out']);
  assert.equal(res.out, out);
  assert.equal(res.main, join(out, 'stack.yml'));
  for (const f of res.files) assert.ok(f.startsWith(`${out}/`) && existsSync(f), f);
  assert.ok(res.files.includes(join(out, 'README.md')));
  assert.ok(res.commands.includes(`cd ${out}`), res.commands.join('\n'));
  assert.doesNotMatch(readFileSync(join(out, 'README.md'), 'utf8'), /mopar-staging/);
  assert.ok(existsSync(join(out, '.mopar-deploy')));
});

test('--force over an earlier deploy: a failure keeps the earlier one as it was; success replaces it', async () => {
  const { dir } = await built;
  const parent = join(d, 'p2');
  const out = join(parent, 'out');
  await deploy(dir, out, { target: 'knative' });
  writeFileSync(join(out, 'functions', 'stale-function'), 'from the earlier deploy');
  await assert.rejects(failingWrite('knative.yaml', () => deploy(dir, out, { target: 'knative', force: true })), /ENOSPC/);
  assert.deepEqual(readdirSync(parent), ['out']);
  assert.ok(existsSync(join(out, 'functions', 'stale-function')), 'the earlier deploy is kept whole');
  assert.ok(existsSync(join(out, 'knative.yaml')));
  await deploy(dir, out, { target: 'knative', force: true });
  assert.ok(!existsSync(join(out, 'functions', 'stale-function')));
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('a 1e12-element model input: partition, verify and deploy exit 2 naming the input and its element count; no OUT', async () => {
  const b = new GraphBuilder('huge');
  const x = b.input('x', 'float32', [1_000_000, 1_000_000]);
  b.output(b.node('Relu', [x], {}, { name: 'relu' }), 'float32', [1_000_000, 1_000_000]);
  const model = join(d, 'huge.onnx');
  saveModel(b.model(17), model);
  // Its partition written by hand (building one needs its shapes, which is what is refused).
  const part = join(d, 'huge-part');
  mkdirSync(part);
  copyFileSync(model, join(part, 'f.onnx'));
  writeFileSync(join(part, 'manifest.json'), JSON.stringify({
    kind: 'mopar.manifest', version: 1, model: 'huge', modelHash: '', platform: 'aws-lambda', strategy: 'test', inputs: ['x'], outputs: ['relu_out'],
    tensors: { x: { dtype: 'float32', shape: [1_000_000, 1_000_000] }, relu_out: { dtype: 'float32', shape: [1_000_000, 1_000_000] } },
    functions: [{ name: 'f', file: 'f.onnx', sha256: sha256File(join(part, 'f.onnx')), inputs: ['x'], outputs: ['relu_out'], group: 'f', memoryMB: 512, vcpu: 1 }],
    edges: [],
  }));
  const out = join(d, 'huge-out');
  for (const args of [['partition', model, '-o', join(d, 'huge-p'), '--runs', '1'], ['verify', model, part], ['deploy', part, '--target', 'openfaas', '-o', out]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('mopar: error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /input 'x' has 1000000000000 elements \(shape \[1000000, 1000000\]\), over the 2147483648 elements/);
    assert.doesNotMatch(r.stderr, /internal error|Invalid typed array/);
  }
  assert.ok(!existsSync(out), 'deploy wrote nothing');
  assert.ok(!existsSync(join(d, 'huge-p')), 'partition wrote nothing');
});
