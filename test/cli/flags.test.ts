/**
 * Flags declared once (src/cli/options.ts): `-o, --output` on every verb with `--out` still accepted, one default
 * platform, `--platforms` on bench with `--platform` still accepted, examples in every --help, a bare `mopar`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/graph/index.js';
import { profileModel, saveProfile } from '../../src/profile/index.js';
import { fixture } from '../fixtures/graphs.js';
import { runCli, startServe } from './run-cli.js';
import { Command } from 'commander';
import { DEFAULT_PLATFORM } from '../../src/cli/options.js';
import { COMMANDS } from '../../src/cli/commands/index.js';

let dir: string;
let model: string;
let profile: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-flags-'));
  model = join(dir, 'm.onnx');
  saveModel(fixture('residual').build(), model);
  // In-process: one CLI profiling pass fewer for the plan that only checks --out.
  profile = join(dir, 'm.profile.json');
  saveProfile(await profileModel(model, { runs: 1, cpuScaling: false, measureRss: false }), profile);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const FAST_PROFILE = ['--runs', '1', '--no-rss', '--no-cpu-scaling'];

describe('CLI flags', () => {
  it('a bare `mopar` prints the help on stdout and exits 0', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: mopar /);
    assert.match(r.stdout, /Examples:/);
    assert.equal(r.stderr, '');
  });

  it('every verb has an example in its --help, and shared flags read the same everywhere', async () => {
    const verbs = ['inspect', 'profile', 'plan', 'build', 'partition', 'verify', 'serve', 'invoke', 'deploy', 'bench', 'demo', 'zoo list', 'zoo build'];
    // In-process: a Node start-up per verb would cost seconds each.
    const program = new Command('mopar');
    for (const register of COMMANDS) register(program);
    const helps = verbs.map((v) => {
      let cmd = program;
      for (const word of v.split(' ')) cmd = cmd.commands.find((c) => c.name() === word)!;
      let stdout = '';
      cmd.configureOutput({ writeOut: (t) => { stdout += t; }, getOutHelpWidth: () => 1000 });
      cmd.outputHelp();
      return { code: 0, stdout, stderr: '' };
    });
    verbs.forEach((v, i) => {
      const r = helps[i]!;
      assert.equal(r.code, 0, `${v}: ${r.stderr}`);
      assert.match(r.stdout, /\nExamples:\n {2}\$ mopar /, `${v} --help has examples`);
      const text = r.stdout.replace(/\s+/g, ' '); // help wraps at the terminal width
      assert.doesNotMatch(text, /--out </, `${v}: the old --out spelling is hidden`);
      if (/--platform <id>/.test(text)) assert.match(text, new RegExp(`--platform <id> [^(]*\\(default: "${DEFAULT_PLATFORM}"\\)`), `${v} states the default platform`);
      if (/--runs <n>/.test(text) && v !== 'verify') assert.match(text, /--runs <n> timed profiling runs after warm-up.{0,40}?\(default: 5\)/, `${v}: one --runs default`);
    });
  });

  it('plan no longer requires --platform and uses the default one; -o and --out both save', async () => {
    const a = join(dir, 'plan-o.json');
    const b = join(dir, 'plan-out.json');
    const r1 = await runCli(['plan', model, ...FAST_PROFILE, '-o', a], {}, 120_000);
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await runCli(['plan', model, '--profile', profile, '--out', b, '--json'], {}, 120_000);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(JSON.parse(readFileSync(a, 'utf8')).platform, DEFAULT_PLATFORM);
    assert.equal(JSON.parse(readFileSync(b, 'utf8')).platform, DEFAULT_PLATFORM);
    const doc = JSON.parse(r2.stdout);
    assert.equal(doc.platform, DEFAULT_PLATFORM);
    // The alternatives it weighed (docs/contracts.md): one row per strategy, and why this one.
    assert.ok(doc.alternatives.length >= 5);
    for (const alt of doc.alternatives) {
      assert.equal(typeof alt.strategy, 'string');
      assert.ok(Number.isInteger(alt.functions) && alt.functions >= 1);
      assert.ok(alt.predicted.latencyMs > 0 && alt.predicted.costPerMillionUSD > 0);
    }
    assert.ok(doc.alternatives.some((a: { strategy: string }) => a.strategy === doc.strategy));
    assert.match(doc.why, /\S/);
    assert.match(r1.stdout, /alternatives at SLO [\d.]+ ms/);
    assert.match(r1.stdout, /\nwhy: \S.*\n/); // (r1 profiled on its own, r2 read a saved profile: their sentences may differ)
  });

  it('partition, zoo build and profile accept --out for -o', async () => {
    const parts = join(dir, 'parts');
    const p = await runCli(['partition', model, '--out', parts, ...FAST_PROFILE, '--json'], {}, 120_000);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(existsSync(join(parts, 'manifest.json')));
    const saved = JSON.parse(readFileSync(join(parts, 'plan.json'), 'utf8'));
    assert.equal(saved.platform, DEFAULT_PLATFORM);
    assert.ok(saved.alternatives.length >= 5 && typeof saved.why === 'string', 'partition keeps the alternatives in plan.json');
    const z = await runCli(['zoo', 'build', 'mobilenetv2', '--tiny', '--out', join(dir, 'zoo.onnx')]);
    assert.equal(z.code, 0, z.stderr);
    assert.ok(existsSync(join(dir, 'zoo.onnx')));
    const prof = await runCli(['profile', model, ...FAST_PROFILE, '--out', join(dir, 'profile.json')], {}, 120_000);
    assert.equal(prof.code, 0, prof.stderr);
    assert.ok(existsSync(join(dir, 'profile.json')));
  });

  it('deploy takes -o or --out; without either it names the missing flag', async () => {
    const parts = join(dir, 'parts');
    if (!existsSync(join(parts, 'manifest.json'))) {
      const p = await runCli(['partition', model, '-o', parts, ...FAST_PROFILE], {}, 120_000);
      assert.equal(p.code, 0, p.stderr);
    }
    const a = await runCli(['deploy', parts, '--target', 'knative', '-o', join(dir, 'kn1'), '--json']);
    assert.equal(a.code, 0, a.stderr);
    const b = await runCli(['deploy', parts, '--target', 'knative', '--out', join(dir, 'kn2'), '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout).functions.length, JSON.parse(a.stdout).functions.length);
    const none = await runCli(['deploy', parts, '--target', 'knative']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^mopar: error: required option '-o, --output <dir>' not specified$/m);
  });

  it('bench takes --platforms, and still --platform (list) and --out', async () => {
    // An unknown platform fails before any work, so the error shows which spelling reached the bench.
    for (const args of [['--platforms', 'aws-lambda,nowhere', '-o', join(dir, 'b')], ['--platform', 'aws-lambda,nowhere', '--out', join(dir, 'b')]]) {
      const r = await runCli(['bench', '--models', 'resnet50:tiny', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^mopar: error: unknown platform 'nowhere'/m, args.join(' '));
    }
  });

  it('invoke infers --model when one model is served, and asks for it when several are', async () => {
    const one = await serve([model]);
    try {
      const r = await runCli(['invoke', one.base, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).model_name, 'm');
    } finally { await one.stop(); }
    const two = await serve([model, join(dir, 'parts')]);
    try {
      const r = await runCli(['invoke', two.base]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^mopar: error: 2 models are served at .*; choose one with --model$/m);
    } finally { await two.stop(); }
  });
});

async function serve(dirs: string[]): Promise<{ base: string; stop: () => Promise<unknown> }> {
  return startServe([...dirs, '--port', '0', '--no-limits'], 60_000);
}
