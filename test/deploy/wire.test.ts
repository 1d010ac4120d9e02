/** The Step Functions state between Lambda functions: the codec's JSON tensors, and errors that name the tensor. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonTensor, encodeJson, encodeJsonTensor, WireError } from '../../src/deploy/function-runtime/wire.js';
import type { Feeds } from '../../src/graph/index.js';

const feeds: Feeds = {
  x: { dtype: 'float32', dims: [2, 3], data: Float32Array.from([1.5, -2, 3, 0, 1e-7, 6]) },
  ids: { dtype: 'int64', dims: [1, 4], data: BigInt64Array.from([1n, 2n, 9007199254740993n, -5n]) },
  mask: { dtype: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
  empty: { dtype: 'float32', dims: [0, 4], data: new Float32Array(0) },
};

function same(a: Feeds, b: Feeds): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    assert.equal(a[k]!.dtype, b[k]!.dtype, k);
    assert.deepEqual(a[k]!.dims, b[k]!.dims, k);
    assert.deepEqual(Array.from(a[k]!.data as ArrayLike<unknown>), Array.from(b[k]!.data as ArrayLike<unknown>), k);
  }
}

test('JSON state round-trips every dtype, int64 beyond 2^53 included, through JSON text', () => {
  const msg = JSON.parse(JSON.stringify(encodeJson(feeds))) as ReturnType<typeof encodeJson>;
  const got: Feeds = {};
  for (const [k, w] of Object.entries(msg.tensors)) got[k] = decodeJsonTensor(k, w);
  same(got, feeds);
  assert.deepEqual(Object.keys(encodeJsonTensor(feeds.x!)).sort(), ['data', 'dtype', 'shape']);
});

test('hand-written values are accepted', () => {
  const x = decodeJsonTensor('x', { dtype: 'float32', shape: [2], values: [1, 2] });
  const i = decodeJsonTensor('i', { dtype: 'int64', shape: [1], values: [7] });
  assert.deepEqual(Array.from(x.data as Float32Array), [1, 2]);
  assert.deepEqual(Array.from(i.data as BigInt64Array), [7n]);
});

test('malformed tensors are WireErrors (HTTP 400) naming the tensor', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ dtype: 'float32', shape: [3], data: Buffer.alloc(8).toString('base64') }, /tensor 'x': 8 bytes do not fill float32\[3\]/],
    [{ dtype: 'string', shape: [1], values: ['a'] }, /tensor 'x': .*cannot cross/],
    [{ dtype: 'float32', shape: [1], data: '!!!!' }, /tensor 'x': tensor data is not valid base64/],
    [{ dtype: 'float32', shape: [1] }, /neither data/],
    [{ shape: [1] }, /needs \{dtype, shape/],
    [null, /needs \{dtype, shape/],
  ];
  for (const [w, re] of bad) {
    assert.throws(() => decodeJsonTensor('x', w as never), (e: unknown) => e instanceof WireError && e.status === 400 && re.test(e.message), String(re));
  }
});
