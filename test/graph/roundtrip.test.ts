/** ONNX I/O: load → save → load is lossless, external data round-trips, and onnxruntime agrees bit for bit. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync, writeFileSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildGraph, decodeModel, encodeModel, forEachTensor, loadModel, saveModel, TensorProto_DataLocation,
} from '../../src/graph/index.js';
import { MoparError } from '../../src/core/errors.js';
import { FIXTURES, fixture } from '../fixtures/graphs.js';
import { assertSameTensor, prepare, runWhole } from './compose.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'mopar-rt-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: byte length`);
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length)), `${what}: bytes differ`);
}

describe('load → save → load', () => {
  for (const fx of FIXTURES) {
    it(`${fx.name}: same bytes after a round trip, bit-identical onnxruntime outputs`, async () => {
      const original = encodeModel(fx.build());
      const a = join(dir, `${fx.name}.onnx`);
      const b = join(dir, `${fx.name}.resaved.onnx`);
      writeFileSync(a, original);
      const loaded = loadModel(a);
      assert.equal(loaded.hadExternalData, false);
      assert.equal(loaded.fileBytes, original.length);
      saveModel(loaded.proto, b);
      sameBytes(readFileSync(b), original, 'resaved file');
      sameBytes(encodeModel(loadModel(b).proto), original, 'second load');
      // The IR (which reorders nothing in an already sorted file) leaves the bytes alone too.
      const g = buildGraph(loadModel(b).proto);
      sameBytes(encodeModel(g.model), original, 'after buildGraph');
      const { feeds } = await prepare(fx.build(), fx.inputShapes);
      const outA = await runWhole(a, feeds);
      const outB = await runWhole(b, feeds);
      for (const o of Object.keys(outA)) assertSameTensor(outB[o], outA[o]!, `${fx.name} ${o}`);
    });
  }

  it('keeps fields it does not know (a newer ONNX writer)', () => {
    const original = encodeModel(fixture('conv-chain').build());
    // Field 99, wire type 0 (varint), value 42: not in onnx.proto.
    const extended = Buffer.concat([Buffer.from(original), Buffer.from([0x98, 0x06, 42])]);
    sameBytes(encodeModel(decodeModel(extended)), extended, 'unknown field');
  });
});

describe('external data', () => {
  for (const name of ['conv-chain', 'paddle-style', 'transformer-block', 'if-node']) {
    it(`${name}: saved with externalDataThreshold, loads back whole and runs identically`, async () => {
      const model = fixture(name).build();
      const original = encodeModel(model);
      const inline = join(dir, `${name}.inline.onnx`);
      const ext = join(dir, `${name}.ext.onnx`);
      writeFileSync(inline, original);
      saveModel(model, ext, { externalDataThreshold: 64 });
      sameBytes(encodeModel(model), original, 'caller model left unchanged');
      assert.ok(existsSync(`${ext}.data`));
      let external = 0;
      let externalBytes = 0;
      forEachTensor(decodeModel(readFileSync(ext)).graph!, (t) => {
        if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) return;
        external++;
        externalBytes += Number(t.externalData.find((e) => e.key === 'length')!.value);
        assert.equal(t.rawData.length, 0);
      });
      assert.ok(external > 0, 'some tensors stored outside the .onnx file');
      assert.ok(statSync(`${ext}.data`).size >= externalBytes);
      const loaded = loadModel(ext);
      assert.equal(loaded.hadExternalData, true);
      sameBytes(encodeModel(loaded.proto), original, 'external data resolved back inline');
      const { feeds } = await prepare(fixture(name).build());
      const want = await runWhole(inline, feeds);
      const fromFile = await runWhole(ext, feeds); // onnxruntime reads the side file itself
      const fromLoaded = await runWhole(loaded.proto, feeds);
      for (const o of Object.keys(want)) {
        assertSameTensor(fromFile[o], want[o]!, `${name} ${o} (file)`);
        assertSameTensor(fromLoaded[o], want[o]!, `${name} ${o} (loaded)`);
      }
    });
  }

  it('refuses external data outside the model folder', () => {
    const inner = join(dir, 'inner');
    mkdirSync(inner, { recursive: true });
    const ext = join(inner, 'escape.onnx');
    saveModel(fixture('conv-chain').build(), ext, { externalDataThreshold: 64 });
    const model = decodeModel(readFileSync(ext));
    forEachTensor(model.graph!, (t) => {
      for (const e of t.externalData) if (e.key === 'location') e.value = '../escape.onnx.data';
    });
    saveModel(model, ext);
    assert.throws(() => loadModel(ext), (e: unknown) => e instanceof MoparError && /points outside the model's folder/.test(e.message));
  });

  it('names a missing or truncated side file', () => {
    const ext = join(dir, 'broken.onnx');
    saveModel(fixture('conv-chain').build(), ext, { externalDataThreshold: 64 });
    truncateSync(`${ext}.data`, 100);
    assert.throws(() => loadModel(ext), (e: unknown) => e instanceof MoparError && /truncated/.test(e.message) && /broken\.onnx\.data/.test(e.message));
    rmSync(`${ext}.data`);
    assert.throws(() => loadModel(ext), (e: unknown) => e instanceof MoparError && /external data file 'broken\.onnx\.data'.*not found/.test(e.message));
  });
});
