import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../src/core/hash.js';
import { buildGraph, inspectGraph, loadModel, openSession, randomInputs, runSession, encodeModel, decodeModel } from '../../src/graph/index.js';
import { buildZooModel, countZooParams, writeZooModel, zooNet, ZOO_MODELS, ZOO_NAMES } from '../../src/zoo/index.js';

const NAMES = ['vgg16', 'resnet50', 'densenet121', 'mobilenetv2', 'efficientnet-b0', 'convnext-tiny', 'vit-b16',
  'deit-s16', 'mixer-b16', 'bert-base', 'gpt2', 'dlrm', 'dlrm-criteo'];

// Tiny variants: 10 classes for images, hidden 64 / seq 16 / vocab 1000 for the language models.
const TINY_OUTPUTS: Record<string, Record<string, number[]>> = {
  'bert-base': { last_hidden_state: [1, 16, 64], pooler_output: [1, 64] },
  gpt2: { logits: [1, 16, 1000] },
  dlrm: { probability: [1, 1] },
  'dlrm-criteo': { probability: [1, 8, 1] },
};
const tinyOutputs = (name: string) => TINY_OUTPUTS[name] ?? { logits: [1, 10] };

const dir = mkdtempSync(join(tmpdir(), 'mopar-zoo-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('the zoo lists the 12 reference models, 3 per category, and the production-scale recommender', () => {
  assert.deepEqual([...ZOO_NAMES], NAMES);
  assert.equal(ZOO_MODELS.length, 13);
  const byCat: Record<string, number> = {};
  for (const m of ZOO_MODELS) byCat[m.category] = (byCat[m.category] ?? 0) + 1;
  assert.deepEqual(byCat, { 'classic-cnn': 3, 'efficient-cnn': 3, 'vision-transformer': 3, 'language-recsys': 4 });
});

test('full-size parameter counts are within 1 % of the published ones (counted, weights not generated)', () => {
  for (const m of ZOO_MODELS) {
    const err = Math.abs(m.params / m.referenceParams - 1);
    assert.ok(err < 0.01, `${m.name}: ${m.params} params vs reference ${m.referenceParams} (${(100 * err).toFixed(2)} %)`);
    assert.equal(countZooParams(m.name), m.params);
  }
});

test('dlrm-criteo: 26 uncapped Criteo Kaggle tables (33.8 M rows, dim 16), past protobuf\'s 2 GiB, written with external data', () => {
  const emb = zooNet('dlrm-criteo').weights.filter((w) => w.name.startsWith('emb_'));
  assert.equal(emb.length, 26);
  assert.equal(emb.reduce((s, w) => s + w.dims[0]!, 0), 33_762_577);
  const bytes = emb.reduce((s, w) => s + 4 * w.dims[0]! * w.dims[1]!, 0);
  assert.ok(bytes > 2 ** 31 - 1, `${bytes} bytes of embeddings`);
});

test('dlrm has at least 200 MB of embedding tables', () => {
  const emb = zooNet('dlrm').weights.filter((w) => w.name.startsWith('emb_'));
  assert.equal(emb.length, 26);
  const bytes = emb.reduce((s, w) => s + 4 * w.dims[0]! * w.dims[1]!, 0);
  assert.ok(bytes >= 200e6, `${bytes} bytes of embeddings`);
});

test('unknown names are a MoparError that lists the zoo', () => {
  assert.throws(() => buildZooModel('resnet51', { tiny: true }), (e: Error) =>
    e.name === 'MoparError' && /resnet51/.test(e.message) && /vgg16/.test(e.message) && /dlrm/.test(e.message));
  assert.throws(() => writeZooModel('resnet50', join(dir, 'x.onnx'), { tiny: true, seed: -3 }), /seed/);
});

for (const name of NAMES) {
  test(`${name} tiny: builds deterministically, streams the same weights as it builds in memory, runs`, async () => {
    const file = join(dir, `${name}.onnx`);
    const again = join(dir, `${name}-again.onnx`);
    const other = join(dir, `${name}-seed7.onnx`);
    const r = writeZooModel(name, file, { tiny: true });
    writeZooModel(name, again, { tiny: true });
    writeZooModel(name, other, { tiny: true, seed: 7 });
    // Models written with external data: the weights are in `<file>.data` (the .onnx names it, so compare those).
    const weightsOf = (f: string) => readFileSync(r.dataFile ? `${f}.data` : f);
    const bytes = weightsOf(file);
    assert.equal(readFileSync(file).length + (r.dataFile ? bytes.length : 0), r.bytes);
    assert.equal(sha256(weightsOf(again)), sha256(bytes), 'same seed, same bytes');
    assert.notEqual(sha256(weightsOf(other)), sha256(bytes), 'another seed, other weights');

    // The streamed file decodes to exactly the model buildZooModel makes in memory.
    const loaded = loadModel(file);
    const memBytes = encodeModel(buildZooModel(name, { tiny: true }));
    assert.equal(sha256(encodeModel(buildZooModel(name, { tiny: true }))), sha256(memBytes), 'in-memory build is deterministic too');
    const mem = decodeModel(memBytes);
    assert.equal(loaded.proto.graph!.node.length, mem.graph!.node.length);
    const memInit = new Map(mem.graph!.initializer.map((t) => [t.name, t]));
    for (const t of loaded.proto.graph!.initializer) {
      const m = memInit.get(t.name);
      assert.ok(m, `initializer ${t.name} missing in memory build`);
      assert.deepEqual(t.dims, m.dims);
      assert.ok(Buffer.from(t.rawData).equals(Buffer.from(m.rawData)), `initializer ${t.name} differs`);
    }
    assert.equal(loaded.proto.opsetImport[0]!.version, 17n);

    const g = buildGraph(loaded.proto);
    assert.equal(inspectGraph(g).params, r.params);
    const shapes = Object.fromEntries(g.inputs.map((i) => [i, g.tensors.get(i)!.shape as number[]]));
    const session = await openSession(file);
    try {
      const out = await runSession(session, randomInputs(g, shapes, 3));
      assert.deepEqual(Object.keys(out).sort(), Object.keys(tinyOutputs(name)).sort());
      for (const [k, dims] of Object.entries(tinyOutputs(name))) assert.deepEqual(out[k]!.dims, dims, `${k} dims`);
      for (const o of loaded.proto.graph!.output) {
        const declared = o.type!.value.case === 'tensorType' ? o.type!.value.value.shape!.dim.map((d) => Number(d.value.value)) : [];
        const t = out[o.name]!;
        assert.deepEqual(t.dims, declared, `${o.name} shape`);
        const data = t.data as Float32Array;
        let sq = 0;
        for (const v of data) { assert.ok(Number.isFinite(v), `${o.name} has a non-finite value`); sq += v * v; }
        const rms = Math.sqrt(sq / data.length);
        assert.ok(rms > 1e-3 && rms < 1e3, `${o.name} rms ${rms} is not well-conditioned`);
      }
    } finally {
      await session.release();
    }
  });
}
