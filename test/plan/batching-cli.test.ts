import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileModel, saveProfile } from '../../src/profile/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { runCli } from '../cli/run-cli.js';

let dir = '';
let model = '';
let profile = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mopar-batching-cli-'));
  model = join(dir, 'mobilenetv2.onnx');
  writeZooModel('mobilenetv2', model, { tiny: true });
  profile = join(dir, 'mobilenetv2.profile.json');
  saveProfile(await profileModel(model, { runs: 2, measureRss: false, cpuScaling: false }), profile);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('mopar plan --apps FILE --app ... --json: groups as docs/contracts.md states, the same on disk', async () => {
  const apps = join(dir, 'apps.json');
  writeFileSync(apps, JSON.stringify({ apps: [
    { name: 'search', sloMs: 200, ratePerSec: 2 }, { name: 'tagging', sloMs: 1000, ratePerSec: 2 },
  ] }));
  const out = join(dir, 'plan.json');
  const r = await runCli(['plan', model, '--platform', 'aws-lambda', '--profile', profile, '--apps', apps,
    '--app', 'thumbs:2000:1.5', '--max-batch', '8', '--json', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), doc);
  // The plain plan is still there.
  assert.ok(Array.isArray(doc.functions) && doc.functions.length >= 1);
  assert.ok(Array.isArray(doc.groups) && doc.groups.length >= 1);
  assert.deepEqual(doc.groups.flatMap((g: { apps: string[] }) => g.apps).sort(), ['search', 'tagging', 'thumbs']);
  for (const g of doc.groups) {
    assert.ok(Number.isInteger(g.maxBatch) && g.maxBatch >= 1 && g.maxBatch <= 8, `maxBatch ${g.maxBatch}`);
    assert.ok(g.timeoutMs >= 0);
    assert.ok(g.predicted.p99Ms > 0 && g.predicted.p99Ms <= g.sloMs);
    assert.ok(g.predicted.costPerRequestUSD > 0);
    for (const f of g.functions) {
      assert.equal(typeof f.name, 'string');
      assert.ok(f.memoryMB > 0 && f.vcpu > 0 && f.nodes.length > 0 && typeof f.group === 'string');
    }
  }
  const names = doc.batching.strategies.map((s: { strategy: string }) => s.strategy);
  assert.deepEqual(names, ['harmony', 'per-app', 'one-group', 'unbatched']);
  // Human output names the groups and the strategies.
  const text = await runCli(['plan', model, '--platform', 'gcp-cloud-run', '--profile', profile, '--app', 'a:300:5', '--max-batch', '4']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /batching on gcp-cloud-run/);
  assert.match(text.stdout, /unbatched/);
});

test('mopar plan: bad applications are one-line errors, exit 2, before any profiling', async () => {
  const bad = join(dir, 'bad.json');
  const cases: Array<[string[], RegExp, string?]> = [
    [['--app', 'x:fast:1'], /--app 'x:fast:1'/],
    [['--app', 'x:100'], /NAME:SLO_MS:RATE/],
    [['--app', 'x:100:1', '--app', 'x:200:1'], /'x' is given twice/],
    [['--apps', bad], /unknown field 'slo'/, JSON.stringify({ apps: [{ name: 'a', slo: 1, sloMs: 1, ratePerSec: 1 }] })],
    [['--apps', bad], /apps\[0\]\.ratePerSec is missing/, JSON.stringify({ apps: [{ name: 'a', sloMs: 1 }] })],
    [['--apps', bad], /is not valid JSON/, '{"apps": ['],
    [['--apps', join(dir, 'missing.json')], /apps file not found/],
  ];
  for (const [args, want, content] of cases) {
    if (content !== undefined) writeFileSync(bad, content);
    // A model path that does not exist: the apps are checked first.
    const r = await runCli(['plan', join(dir, 'absent.onnx'), '--platform', 'aws-lambda', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mopar: error: /);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
