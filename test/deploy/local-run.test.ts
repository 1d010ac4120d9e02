/**
 * The artifact a user gets, end to end: the compiled CLI (dist/, what `npm ci` builds and bin/mopar.js runs)
 * partitions a dynamic-batch torchvision export into 2 functions, deploys it for every target, and `local-run`
 * serves each deployment from its generated files. request.json and a batch-4 request must match the unsplit
 * model under the allclose rule. (Deployed entries once answered every infer 400 while source-run tests passed.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { localRun } from '../../src/deploy/index.js';
import { Rng } from '../../src/core/index.js';
import { allclose, openSession, runSession, type Feeds } from '../../src/graph/index.js';
import { httpRequest, infer, parseInferResponse } from '../../src/runtime/index.js';
import { cleanup, tmpDir } from './helpers.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const COMPILED = join(ROOT, 'dist', 'cli', 'main.js');
const MODEL = join(ROOT, 'test', 'fixtures', 'exported', 'mobilenetv3-small.onnx');

function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newestMtime(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
}

/** The compiled CLI, never the sources: built first if dist/ is missing or older than src/. */
function installedCli(args: string[]): string {
  return execFileSync(process.execPath, [COMPILED, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MOPAR_FROM_SOURCE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

let d: string;
let parts: string;
let want4: Feeds;
let feeds4: Feeds;

before(async () => {
  const marker = join(ROOT, 'dist', '.complete');
  if (!existsSync(marker) || statSync(marker).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }
  d = tmpDir('local-run');
  parts = join(d, 'parts');
  installedCli(['partition', MODEL, '-o', parts, '--strategy', 'uniform:2', '--slo-ms', '10000', '--runs', '2']);
  const rng = new Rng(7);
  const data = Float32Array.from({ length: 4 * 3 * 64 * 64 }, () => rng.next() * 2 - 1);
  feeds4 = { input: { dtype: 'float32', dims: [4, 3, 64, 64], data } };
  want4 = await runSession(await openSession(MODEL), feeds4);
});
after(() => cleanup(d));

interface Running { proc: ChildProcessByStdio<null, Readable, Readable>; base: string; stderr: () => string }

function startLocalRun(out: string): Promise<Running> {
  const proc = spawn(process.execPath, [COMPILED, 'local-run', out, '--port', '0'], { cwd: ROOT, env: { ...process.env, MOPAR_FROM_SOURCE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`local-run did not start: ${stderr}`)); }, 90_000);
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /listening (http:\/\/\S+)/.exec(stdout);
      if (m) { clearTimeout(timer); resolve({ proc, base: m[1]!, stderr: () => stderr }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`local-run exited ${code}: ${stderr}`)); });
  });
}

for (const target of ['openfaas', 'knative', 'lambda'] as const) {
  test(`installed CLI: deploy --target ${target}, then local-run answers request.json and a batch of 4 exactly`, { timeout: 180_000 }, async () => {
    const out = join(d, target);
    installedCli(['deploy', parts, '--target', target, '-o', out]);
    const bundle = readFileSync(join(out, 'functions', readdirSync(join(out, 'functions')).find((f) => existsSync(join(out, 'functions', f, 'function.json')))!, 'mopar-runtime.js'), 'utf8');
    assert.doesNotMatch(bundle, /new URL\([^()]*import_meta\d*\.url\)/, 'the bundle reads no file relative to import.meta');
    const run = await startLocalRun(out);
    try {
      // request.json as the README's deploy commands send it (JSON, batch 1 of a dynamic-batch model).
      const request = readFileSync(join(out, 'request.json'));
      const r1 = await httpRequest(`${run.base}/v2/models/mobilenetv3-small/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request });
      assert.equal(r1.status, 200, r1.body.toString());
      const got1 = parseInferResponse(r1.body, undefined).outputs[0]!;
      const req1 = JSON.parse(request.toString()) as { inputs: Array<{ shape: number[]; data: number[] }> };
      const want1 = await runSession(await openSession(MODEL), { input: { dtype: 'float32', dims: req1.inputs[0]!.shape, data: Float32Array.from(req1.inputs[0]!.data) } });
      const c1 = allclose({ dtype: 'float32', dims: got1.shape, data: Float32Array.from(got1.data as number[]) }, Object.values(want1)[0]);
      assert.ok(c1.ok, `request.json: ${JSON.stringify(c1)}`);

      // A batch of 4 in the binary form.
      const r4 = await infer(run.base, 'mobilenetv3-small', feeds4);
      for (const [name, want] of Object.entries(want4)) {
        const c = allclose(r4.outputs[name], want);
        assert.ok(c.ok, `${name} at batch 4: ${JSON.stringify(c)}`);
      }
    } finally {
      run.proc.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => run.proc.once('exit', r));
      assert.equal(code, 0, `local-run stops cleanly on SIGTERM: ${run.stderr()}`);
    }
  });
}

test('installed CLI: a --weights s3 deployment runs with its weights in a local bucket (lambda: the stack bucket; openfaas: --weights-bucket)', { timeout: 180_000 }, async () => {
  for (const [target, extra] of [['lambda', []], ['openfaas', ['--weights-bucket', 'team-weights']]] as const) {
    const out = join(d, `${target}-s3`);
    installedCli(['deploy', parts, '--target', target, '--weights', 's3', ...extra, '-o', out]);
    assert.ok(existsSync(join(out, 'weights')), 'weights staged for upload');
    const run = await startLocalRun(out);
    try {
      assert.match(run.stderr(), /weight object\(s\) from weights\/ uploaded/);
      const r4 = await infer(run.base, 'mobilenetv3-small', feeds4);
      for (const [name, want] of Object.entries(want4)) assert.ok(allclose(r4.outputs[name], want).ok, `${target} ${name}`);
    } finally {
      run.proc.kill('SIGTERM');
      await new Promise((r) => run.proc.once('exit', r));
    }
  }
});

test('local-run stopped while its functions start removes every process, cgroup and folder it started', { timeout: 120_000 }, async () => {
  const out = join(d, 'knative');
  if (!existsSync(out)) installedCli(['deploy', parts, '--target', 'knative', '-o', out]);
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('mopar-local-run-')));
  const stop = new AbortController();
  const started = localRun(out, { signal: stop.signal });
  // Abort once the run folder exists (functions are being copied and started).
  for (let i = 0; i < 200 && !readdirSync(tmpdir()).some((f) => f.startsWith('mopar-local-run-') && !before.has(f)); i++) await new Promise((r) => setTimeout(r, 10));
  stop.abort();
  const outcome = await started.then((run) => run.close().then(() => 'started first'), (err: Error) => err.message);
  assert.ok(outcome === 'started first' || /stopped before every function was ready/.test(outcome), outcome);
  const left = readdirSync(tmpdir()).filter((f) => f.startsWith('mopar-local-run-') && !before.has(f));
  assert.deepEqual(left, [], 'no run folder left');
  const procs = execFileSync('ps', ['-eo', 'args=']).toString().split('\n').filter((l) => /node (index|server)\.js/.test(l));
  assert.deepEqual(procs, [], 'no function process left');
});

test('local-run refuses a folder that is not a deploy output with one line, exit 2', () => {
  let err: { status?: number; stderr?: string } = {};
  try { installedCli(['local-run', parts]); } catch (e) { err = e as typeof err; }
  assert.equal(err.status, 2);
  assert.match(String(err.stderr), /^mopar: error: .*is not a mopar deploy output/);
});
