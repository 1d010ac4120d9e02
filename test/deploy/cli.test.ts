import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeBranchyDir } from './helpers.js';

test('mopar deploy --json prints one document; bad arguments are one-line errors with exit code 2', async () => {
  const d = tmpDir('cli');
  try {
    const built = await writeBranchyDir(join(d, 'built'));
    const ok = await runCli(['deploy', built.dir, '--target', 'knative', '-o', join(d, 'kn'), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const res = JSON.parse(ok.stdout) as { target: string; main: string; functions: { name: string }[] };
    assert.equal(res.target, 'knative');
    assert.equal(res.functions.length, 6);
    assert.match(readFileSync(res.main, 'utf8'), /serving\.knative\.dev\/v1/);
    // Deploying again into its own earlier output needs --force, which replaces it: no stale function survives.
    writeFileSync(join(d, 'kn', 'functions', 'stale-function'), 'left from an earlier deploy');
    const again = await runCli(['deploy', built.dir, '--target', 'knative', '-o', join(d, 'kn')]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /^mopar: error: .*is not empty; .*--force/);
    const forced = await runCli(['deploy', built.dir, '--target', 'knative', '-o', join(d, 'kn'), '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(!existsSync(join(d, 'kn', 'functions', 'stale-function')), 'replaced cleanly');
    assert.ok(existsSync(join(d, 'kn', 'knative.yaml')));

    const cases: [string[], RegExp][] = [
      [['deploy', built.dir, '--target', 'azure', '-o', join(d, 'x')], /unknown --target 'azure'/],
      [['deploy', join(d, 'nowhere'), '--target', 'lambda', '-o', join(d, 'y')], /no manifest\.json/],
      [['deploy', built.dir, '--target', 'lambda', '-o', join(d, 'z'), '--timeout', '0'], /--timeout must be an integer/],
    ];
    mkdirSync(join(d, 'full'));
    writeFileSync(join(d, 'full', 'keep.txt'), 'mine');
    cases.push([['deploy', built.dir, '--target', 'openfaas', '-o', join(d, 'full')], /is not empty/]);
    // --force never deletes a folder mopar did not write.
    cases.push([['deploy', built.dir, '--target', 'openfaas', '-o', join(d, 'full'), '--force'], /not an earlier mopar deploy output/]);
    cases.push([['deploy', built.dir, '--target', 'openfaas', '-o', d, '--force'], /outside the build folder/]);
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^mopar: error: /);
    }
    assert.equal(readFileSync(join(d, 'full', 'keep.txt'), 'utf8'), 'mine');
  } finally {
    cleanup(d);
  }
});
