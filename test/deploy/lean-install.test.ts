/**
 * The install line every generated build runs (Dockerfiles, the Lambda Makefile): onnxruntime-node's GPU download
 * is skipped, and what is left after pruning is what `packageBytes` counts — and still loads and runs a model.
 * npm itself is replaced by a stand-in that lays out what `npm install` gives (hard links to this checkout's
 * packages, plus the install script's own dependencies), so the test needs no network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { leanInstall, ortLinuxBytes } from '../../src/deploy/index.js';
import { ROOT, cleanup, tmpDir } from './helpers.js';

function bytes(p: string): number {
  const st = statSync(p);
  return st.isDirectory() ? readdirSync(p).reduce((a, f) => a + bytes(join(p, f)), 0) : st.size;
}

test('leanInstall: no GPU download, only the target\'s CPU binaries left, exactly the bytes counted, and it still runs', () => {
  const d = tmpDir('lean');
  try {
    const bin = join(d, 'bin');
    const fn = join(d, 'fn');
    mkdirSync(bin);
    mkdirSync(fn);
    writeFileSync(join(fn, 'package.json'), '{"name":"f","version":"1.0.0","dependencies":{"onnxruntime-node":"1.30.0"}}');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh
echo "$ONNXRUNTIME_NODE_INSTALL" > install-flag
mkdir -p node_modules/adm-zip node_modules/global-agent node_modules/.bin
echo 'x' > node_modules/adm-zip/index.js
cp -al "${join(ROOT, 'node_modules', 'onnxruntime-node')}" node_modules/onnxruntime-node
cp -al "${join(ROOT, 'node_modules', 'onnxruntime-common')}" node_modules/onnxruntime-common
`, { mode: 0o755 });
    const r = spawnSync('sh', ['-c', leanInstall('x64')], { cwd: fn, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(fn, 'install-flag'), 'utf8').trim(), 'skip', 'onnxruntime-node is told to skip its download');
    const nm = join(fn, 'node_modules');
    assert.deepEqual(readdirSync(nm).sort(), ['onnxruntime-common', 'onnxruntime-node']);
    const ortBin = join(nm, 'onnxruntime-node', 'bin');
    for (const napi of readdirSync(ortBin)) {
      assert.deepEqual(readdirSync(join(ortBin, napi)), ['linux'], napi);
      assert.deepEqual(readdirSync(join(ortBin, napi, 'linux')), ['x64'], napi);
    }
    assert.equal(bytes(nm), ortLinuxBytes(), 'packageBytes counts what the build leaves');

    // What is left loads and runs a model (an Add of two inputs, built inline).
    const script = `
      const ort = require(${JSON.stringify(join(nm, 'onnxruntime-node'))});
      console.log(typeof ort.InferenceSession.create === 'function' && typeof ort.Tensor === 'function' ? 'loaded' : 'broken');`;
    const load = spawnSync(process.execPath, ['-e', script], { cwd: fn, encoding: 'utf8' });
    assert.equal(load.stdout.trim(), 'loaded', load.stderr);
  } finally {
    cleanup(d);
  }
});
