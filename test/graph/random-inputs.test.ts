/** randomInputs: seeded, valid for any input spec; token ids stay inside the vocabulary of the Gather they feed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MoparError } from '../../src/core/errors.js';
import { buildGraph, encodeModel, GraphBuilder, idUpperBound, openSession, randomInputs, resolveInputShapes, runSession } from '../../src/graph/index.js';
import { EMBEDDING_VOCAB, fixture } from '../fixtures/graphs.js';

describe('randomInputs', () => {
  it('gives token ids inside the vocabulary, spread over it, and masks of ones', () => {
    const g = buildGraph(fixture('embedding').build());
    assert.equal(idUpperBound(g, 'input_ids'), EMBEDDING_VOCAB);
    const shapes = { input_ids: [4, 7], attention_mask: [4, 7] };
    const feeds = randomInputs(g, shapes, 3);
    const ids = [...(feeds.input_ids!.data as BigInt64Array)].map(Number);
    assert.equal(feeds.input_ids!.dtype, 'int64');
    assert.deepEqual(feeds.input_ids!.dims, [4, 7]);
    assert.equal(ids.length, 28);
    assert.ok(ids.every((v) => Number.isInteger(v) && v >= 0 && v < EMBEDDING_VOCAB), `ids in [0, ${EMBEDDING_VOCAB})`);
    assert.ok(Math.max(...ids) >= 10, 'ids use the vocabulary, not just {0, 1}');
    assert.ok([...(feeds.attention_mask!.data as BigInt64Array)].every((v) => v === 1n));
  });

  it('follows ids through Cast/Reshape-like ops to the Gather (symbolic seq fixture)', () => {
    const g = buildGraph(fixture('symbolic-seq').build());
    assert.equal(idUpperBound(g, 'input_ids'), 20);
    const ids = [...(randomInputs(g, { input_ids: [1, 50] }, 9).input_ids!.data as BigInt64Array)].map(Number);
    assert.ok(ids.every((v) => v >= 0 && v < 20));
  });

  it('is deterministic per seed and fills floats in [-1, 1)', () => {
    const g = buildGraph(fixture('multi-output').build());
    const shapes = resolveInputShapes(g);
    const a = randomInputs(g, shapes, 5);
    const b = randomInputs(g, shapes, 5);
    const c = randomInputs(g, shapes, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.x!.data, c.x!.data);
    const xs = [...(a.x!.data as Float32Array)];
    assert.equal(xs.length, 12);
    assert.ok(xs.every((v) => v >= -1 && v < 1));
  });

  it('feeds float16 inputs that onnxruntime reads back as the intended values', async () => {
    const b = new GraphBuilder('half');
    const x = b.input('x', 'float16', [64]);
    b.output(b.node('Cast', [x], { to: 1 }), 'float32', [64]);
    const g = buildGraph(b.model(13));
    const feeds = randomInputs(g, { x: [64] }, 2);
    const session = await openSession(encodeModel(g.model));
    const y = [...(Object.values(await runSession(session, feeds))[0]!.data as Float32Array)];
    await session.release();
    assert.ok(y.every((v) => v >= -1 && v < 1 && Number.isInteger(v * 1024)), `values k/1024 in [-1, 1): ${y.slice(0, 4)}`);
    assert.ok(new Set(y).size > 16, 'spread over the range');
  });

  it('refuses input types it cannot generate with a MoparError', () => {
    const b = new GraphBuilder('strings');
    const x = b.input('s', 'string', [2]);
    b.output(b.node('Identity', [x]), 'string', [2]);
    const g = buildGraph(b.model(13));
    assert.throws(() => randomInputs(g, { s: [2] }), (e: unknown) => e instanceof MoparError && /cannot generate random string inputs/.test(e.message));
  });
});
