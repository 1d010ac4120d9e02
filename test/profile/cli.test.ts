/** `mopar profile` per CONTRACTS.md: one JSON document with --json, files written, bad input → exit 2, one line. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src/graph/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-profile-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'bert-tiny.onnx');
saveModel(buildZooModel('bert-base', { tiny: true }), model);

function mopar(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mopar.js', ...args], { encoding: 'utf8', env: { ...process.env, MOPAR_FROM_SOURCE: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--json prints one profile document; -o saves the same; --plot writes an SVG', () => {
  const out = join(dir, 'p.json');
  const svg = join(dir, 't.svg');
  const r = mopar('profile', model, '--json', '--runs', '2', '--no-cpu-scaling', '--no-rss', '-o', out, '--plot', svg);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  for (const k of ['nodes', 'measuredMs', 'peakRssMB', 'opShare', 'rdOps', 'layers', 'memory', 'modelHash']) assert.ok(k in p, k);
  assert.deepEqual(Object.keys(p.nodes[0]).slice(0, 5), ['name', 'op', 'ms', 'outputBytes', 'paramBytes']);
  assert.deepEqual(p.inputShapes, { input_ids: [1, 16], attention_mask: [1, 16] });
  assert.ok(p.rdOps.includes('MatMul'));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), p);
  assert.match(readFileSync(svg, 'utf8'), /^<svg/);
  assert.match(r.stderr, /\[1\/\d\] loading model/, 'progress goes to stderr');
});

test('human output shows op shares, RD types and the timeline chart', () => {
  const r = mopar('profile', model, '--runs', '1', '--no-cpu-scaling', '--no-rss');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /top operator types by time/);
  // MatMul is an RD op by its parameters; its rank by time on a tiny model depends on the run.
  assert.match(r.stdout, /RD ops\s+[^\n]*MatMul/);
  assert.match(r.stdout, /memory timeline/);
  assert.match(r.stdout, /│[ ▁▂▃▄▅▆▇█]+/);
});

test('bad inputs: one line on stderr, exit 2, no stack trace', () => {
  const notOnnx = join(dir, 'x.onnx');
  writeFileSync(notOnnx, 'hello');
  const cases: Array<[string[], RegExp]> = [
    [['profile', join(dir, 'missing.onnx')], /model file not found/],
    [['profile', notOnnx], /not an ONNX model|truncated/],
    [['profile', model, '--input', 'nope=1,2'], /not an input of the model/],
    [['profile', model, '--runs', '0'], /--runs must be an integer/],
    [['profile', model, '--plot', join(dir, 'chart.txt')], /\.svg or \.png/],
    [['profile', model, '--attribution', 'guess'], /--attribution/],
  ];
  for (const [args, msg] of cases) {
    const r = mopar(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !/^\[\d\/\d\]/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^mopar: error: /);
    assert.match(lines[0]!, msg);
    assert.equal(r.stdout, '');
  }
});
