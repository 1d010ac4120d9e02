/**
 * Variable shapes end to end (issue 31): `--input NAME=LO..HI` keeps a dim symbolic in every function file,
 * sizes and plans it at HI, and serves any request inside the range — the embedded gateway, verify and the
 * deployed entry refuse one outside it with a 400 (exit 2) naming the range.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '../../src/core/index.js';
import { allclose } from '../../src/graph/compare.js';
import { openSession, runSession } from '../../src/graph/runner.js';
import { loadModel, outsideRange, parseInputFlags, parseInputRanges, randomInputs, buildGraph, saveModel, type Feeds } from '../../src/graph/index.js';
import { partitionModel, verifyPartition } from '../../src/partition/index.js';
import { DEFAULT_GATEWAY, Gateway, binaryInferRequest, errorOf, httpRequest, infer } from '../../src/runtime/index.js';
import { pipelineModel } from '../../src/deploy/function-runtime/chain-entry.js';
import { v2Handler } from '../../src/deploy/function-runtime/v2.js';
import { pipelineConfig } from '../../src/deploy/folder.js';
import { rangedConvNet, rangedEncoder } from '../fixtures/ranged.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

const PROFILING = { runs: 2, measureRss: false, cpuScaling: false };
const ENC_FLAGS = ['input_ids=1..4,16..128', 'attention_mask=1..4,16..128'];
const CONV_FLAGS = ['x=1,3,32..128,32..96'];
let dir = '';
let enc = '';
let conv = '';
let gw: Gateway;
let base = '';

const profiling = (flags: string[]) => ({ ...PROFILING, inputShapes: parseInputFlags(flags), inputRanges: parseInputRanges(flags) });

/** Random feeds for `model` at the given shapes (token ids inside the vocabulary, masks as ones). */
function feedsFor(model: string, shapes: Record<string, number[]>, seed: number): Feeds {
  return randomInputs(buildGraph(loadModel(model).proto), shapes, seed);
}

async function unsplit(model: string, feeds: Feeds): Promise<Feeds> {
  const s = await openSession(model, { threads: 1 });
  try { return await runSession(s, feeds); } finally { await s.release(); }
}

before(async () => {
  dir = tmpDir('ranges');
  enc = join(dir, 'encoder.onnx');
  conv = join(dir, 'detector.onnx');
  saveModel(rangedEncoder(), enc);
  saveModel(rangedConvNet(), conv);
  await partitionModel(enc, { profiling: profiling(ENC_FLAGS), plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true }, outDir: join(dir, 'enc'), writeRecords: true });
  await partitionModel(conv, { profiling: profiling(CONV_FLAGS), plan: { platform: 'aws-lambda', strategy: 'uniform:2', allowSloMiss: true }, outDir: join(dir, 'conv') });
  gw = new Gateway({ ...DEFAULT_GATEWAY });
  gw.addModel(join(dir, 'enc'), 'enc');
  gw.addModel(join(dir, 'conv'), 'conv');
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});
after(async () => { await gw?.close(); cleanup(dir); });

test('--input parses LO..HI ranges (taken at HI), refuses bad ones, and names a dim outside its range', () => {
  assert.deepEqual(parseInputFlags(['input_ids=1..8,16..256', 'x=1,3']), { input_ids: [8, 256], x: [1, 3] });
  assert.deepEqual(parseInputRanges(['input_ids=1..8,16..256', 'x=1,3']), { input_ids: [[1, 8], [16, 256]] });
  assert.throws(() => parseInputFlags(['x=1,9..4']), /--input x: a range is LO\.\.HI with 1 ≤ LO ≤ HI, got '9\.\.4'/);
  assert.throws(() => parseInputFlags(['x=1,0..4']), /1 ≤ LO ≤ HI/);
  assert.throws(() => parseInputFlags(['x=1,4..']), /positive integers, got '1,4\.\.' \(a dim that varies per request is a range LO\.\.HI\)/);
  const ranges = parseInputRanges(['input_ids=1..8,16..256']);
  assert.equal(outsideRange('input_ids', [1, 200], ranges), undefined);
  assert.equal(outsideRange('input_ids', [1, 300], ranges), "input 'input_ids' dim 1 is 300, outside the range 16..256 this model was partitioned for");
  assert.equal(outsideRange('input_ids', [1, 8], ranges), "input 'input_ids' dim 1 is 8, outside the range 16..256 this model was partitioned for");
});

test('partition: ranged dims stay symbolic in every function file, -1 in tensors, recorded in the manifest; sized at HI', () => {
  const m = JSON.parse(readFileSync(join(dir, 'enc', 'manifest.json'), 'utf8'));
  validate('manifest', m, 'manifest.json');
  const plan = JSON.parse(readFileSync(join(dir, 'enc', 'plan.json'), 'utf8'));
  validate('plan', plan, 'plan.json');
  validate('profile', JSON.parse(readFileSync(join(dir, 'enc', 'profile.json'), 'utf8')), 'profile.json');
  assert.ok(m.functions.length >= 2, `${m.functions.length} functions`);
  assert.deepEqual(m.ranges, { input_ids: [[1, 4], [16, 128]], attention_mask: [[1, 4], [16, 128]] });
  assert.equal(m.maxBatch, 4, 'a batch range says the max batch');
  assert.deepEqual(m.inputShapes, { input_ids: [4, 128], attention_mask: [4, 128] });
  assert.deepEqual(m.tensors.input_ids.shape, [-1, -1]);
  assert.deepEqual(m.tensors.last_hidden_state.shape, [-1, -1, 16]);
  // Hand-offs are sized at the top of the range: 4 × 128 × 16 floats.
  const handoff = m.edges.find((e: { from: string; to: string[] }) => e.from !== '$input' && !e.to.includes('$output'));
  assert.equal(handoff.bytes, 4 * 128 * 16 * 4);
  assert.deepEqual(m.tensors[handoff.tensor].shape, [-1, -1, 16]);
  for (const f of m.functions) {
    const g = buildGraph(loadModel(join(dir, 'enc', f.file)).proto);
    for (const name of [...g.inputs, ...g.outputs]) {
      const shape = g.tensors.get(name)!.shape!;
      if (name !== 'pooled') assert.deepEqual(shape.slice(0, 2), ['batch', 'seq'], `${f.name} ${name}: [${shape}]`);
    }
  }
  assert.ok(plan.notes.some((n: string) => /hand-offs, memory and latency are planned at the top of each range/.test(n) && /input_ids dim 1 16\.\.128/.test(n)), JSON.stringify(plan.notes));
  const conv = JSON.parse(readFileSync(join(dir, 'conv', 'manifest.json'), 'utf8'));
  assert.deepEqual(conv.ranges, { x: [null, null, [32, 128], [32, 96]] });
  assert.deepEqual(conv.tensors.x.shape, [-1, 3, -1, -1]);
  assert.deepEqual(conv.tensors.map.shape, [-1, 1, -1, -1]);
});

test('verify: (1, 16) and (4, 128) are allclose to the unsplit model; seq 200 is refused naming the range', async () => {
  for (const [b, s] of [[1, 16], [4, 128], [2, 37]]) {
    const r = await verifyPartition(enc, join(dir, 'enc'), { runs: 1, inputShapes: { input_ids: [b!, s!], attention_mask: [b!, s!] } });
    assert.ok(r.ok, `(${b}, ${s}): maxRelErr ${r.maxRelErr}`);
    assert.equal(r.batch, b);
  }
  await assert.rejects(verifyPartition(enc, join(dir, 'enc'), { runs: 1, inputShapes: { input_ids: [1, 200], attention_mask: [1, 200] } }),
    /input 'input_ids' dim 1 is 200, outside the range 16\.\.128 this model was partitioned for/);
  await assert.rejects(verifyPartition(enc, join(dir, 'enc'), { runs: 1, inputShapes: { input_ids: [5, 16], attention_mask: [5, 16] } }),
    /batch 5 is over this model's max batch 4/);
});

test('gateway: metadata has -1 and parameters.ranges; (1, 16) and (4, 128) answer allclose; seq 200 is 400 naming the range', async () => {
  const meta = JSON.parse((await httpRequest(`${base}/v2/models/enc`)).body.toString());
  assert.deepEqual(meta.inputs.map((t: { shape: number[] }) => t.shape), [[-1, -1], [-1, -1]]);
  assert.deepEqual(meta.parameters.ranges, { input_ids: [[1, 4], [16, 128]], attention_mask: [[1, 4], [16, 128]] });
  assert.equal(meta.parameters.max_batch_size, 4);
  for (const [b, s] of [[1, 16], [4, 128]]) {
    const feeds = feedsFor(enc, { input_ids: [b!, s!], attention_mask: [b!, s!] }, 10 + s!);
    const reply = await infer(base, 'enc', feeds);
    assert.equal(reply.status, 200);
    const want = await unsplit(enc, feeds);
    for (const name of Object.keys(want)) {
      assert.deepEqual(reply.outputs[name]!.dims, want[name]!.dims);
      const c = allclose(reply.outputs[name], want[name]);
      assert.ok(c.ok, `(${b}, ${s}) ${name}: ${c.mismatch ?? `max abs err ${c.maxAbsErr}`}`);
    }
  }
  const { body, headers } = binaryInferRequest(feedsFor(enc, { input_ids: [1, 200], attention_mask: [1, 200] }, 3));
  const r = await httpRequest(`${base}/v2/models/enc/infer`, { method: 'POST', headers, body });
  assert.equal(r.status, 400);
  assert.equal(errorOf(r), "input 'input_ids' dim 1 is 200, outside the range 16..128 this model was partitioned for");
  const short = binaryInferRequest(feedsFor(enc, { input_ids: [1, 8], attention_mask: [1, 8] }, 3));
  const r2 = await httpRequest(`${base}/v2/models/enc/infer`, { method: 'POST', headers: short.headers, body: short.body });
  assert.equal(r2.status, 400);
  assert.match(errorOf(r2) ?? '', /dim 1 is 8, outside the range 16\.\.128/);
});

test('gateway: the default body limit counts a ranged dim at its top (not as 64)', async () => {
  // The contract's rule: every value as 64 bytes of JSON + 1 MiB; both encoder inputs at 4 × 128 (the old rule
  // took each dynamic dim as 64: 64 × 64 values per input).
  const limit = 2 * 4 * 128 * 64 + 2 ** 20;
  const big = await httpRequest(`${base}/v2/models/enc/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(limit + 1, 0x20) });
  assert.equal(big.status, 413);
  const under = await httpRequest(`${base}/v2/models/enc/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(limit - 1, 0x20) });
  assert.equal(under.status, 400);
});

test('conv net with ranged H and W: two sizes answer exactly as the unsplit model; one outside is 400', async () => {
  for (const [h, w] of [[32, 96], [128, 48]]) {
    const feeds = feedsFor(conv, { x: [1, 3, h!, w!] }, h! + w!);
    const reply = await infer(base, 'conv', feeds);
    assert.equal(reply.status, 200);
    const want = await unsplit(conv, feeds);
    assert.deepEqual(reply.outputs.map!.dims, [1, 1, h, w]);
    const c = allclose(reply.outputs.map, want.map, { rtol: 1e-6, atolScale: 1e-7 });
    assert.ok(c.ok, `${h}×${w}: max abs err ${c.maxAbsErr}`);
  }
  const { body, headers } = binaryInferRequest(feedsFor(conv, { x: [1, 3, 64, 128] }, 1));
  const r = await httpRequest(`${base}/v2/models/conv/infer`, { method: 'POST', headers, body });
  assert.equal(r.status, 400);
  assert.equal(errorOf(r), "input 'x' dim 3 is 128, outside the range 32..96 this model was partitioned for");
});

test('deployed entry: pipeline.json carries the ranges; metadata reports them; outside a range is 400 before any function runs', async () => {
  const m = JSON.parse(readFileSync(join(dir, 'enc', 'manifest.json'), 'utf8'));
  const p = pipelineConfig({ manifest: m, stages: [{ functions: [] }] } as unknown as Parameters<typeof pipelineConfig>[0], new Map());
  assert.deepEqual(p.ranges, m.ranges);
  const runs: number[][] = [];
  const v2 = v2Handler(pipelineModel(p, async (feeds: Feeds) => { runs.push(feeds.input_ids!.dims); return {}; }));
  const meta = JSON.parse((await v2({ method: 'GET', path: `/v2/models/${p.model}`, headers: {}, body: Buffer.alloc(0) })).body.toString());
  assert.deepEqual(meta.parameters.ranges, m.ranges);
  const body = (s: number) => Buffer.from(JSON.stringify({ inputs: ['input_ids', 'attention_mask'].map((name) => ({ name, datatype: 'INT64', shape: [1, s], data: Array(s).fill(1) })), outputs: [] }));
  const bad = await v2({ method: 'POST', path: `/v2/models/${p.model}/infer`, headers: {}, body: body(200) });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body.toString()).error, "input 'input_ids' dim 1 is 200, outside the range 16..128 this model was partitioned for");
  assert.deepEqual(runs, []);
});

test('CLI: partition --input with ranges, verify --input inside (exit 0) and outside (exit 2 naming the range)', async () => {
  const out = join(dir, 'cli');
  const p = await runCli(['partition', enc, '--platform', 'aws-lambda', '--strategy', 'uniform:2', '--allow-slo-miss', '--runs', '2', '--no-cpu-scaling', '--no-rss',
    ...ENC_FLAGS.flatMap((f) => ['--input', f]), '--json', '-o', out], {}, 120_000);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout).ranges.input_ids, [[1, 4], [16, 128]]);
  const ok = await runCli(['verify', enc, out, '--runs', '1', '--input', 'input_ids=2,16', '--input', 'attention_mask=2,16']);
  assert.equal(ok.code, 0, ok.stderr);
  const v = await runCli(['verify', enc, out, '--runs', '1', '--input', 'input_ids=1,200', '--input', 'attention_mask=1,200']);
  assert.equal(v.code, 2, v.stderr);
  assert.match(v.stderr, /^mopar: error: input 'input_ids' dim 1 is 200, outside the range 16\.\.128 this model was partitioned for/);
  const insp = await runCli(['inspect', enc, '--no-runtime-check']);
  assert.match(insp.stdout, /symbolic {2}input_ids dims 0 \(batch\), 1 \(seq\)/);
  assert.match(insp.stdout, /--input input_ids=1\.\.8,LO\.\.HI/);
});
