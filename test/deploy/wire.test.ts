import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBinary, decodeBody, encodeBinary, encodeJson, WireError, BINARY_TYPE,
} from '../../src/deploy/function-runtime/wire.js';
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

test('binary and JSON encodings round-trip every supported dtype, int64 beyond 2^53 included', () => {
  same(decodeBinary(encodeBinary(feeds)), feeds);
  same(decodeBody(encodeBinary(feeds), BINARY_TYPE), feeds);
  same(decodeBody(JSON.stringify(encodeJson(feeds)), 'application/json'), feeds);
  same(decodeBody(Buffer.from(JSON.stringify(encodeJson(feeds)))), feeds);
  same(decodeBody(encodeJson(feeds)), feeds);
});

test('a binary message at an odd offset decodes into aligned arrays', () => {
  const buf = encodeBinary({ x: feeds.x! });
  const shifted = Buffer.alloc(buf.length + 1);
  buf.copy(shifted, 1);
  same(decodeBinary(shifted.subarray(1)), { x: feeds.x! });
});

test('hand-written JSON with values is accepted', () => {
  const got = decodeBody({ tensors: { x: { dtype: 'float32', shape: [2], values: [1, 2] }, i: { dtype: 'int64', shape: [1], values: [7] } } });
  assert.deepEqual(Array.from(got.x!.data as Float32Array), [1, 2]);
  assert.equal((got.i!.data as BigInt64Array)[0], 7n);
});

test('malformed bodies are WireErrors (HTTP 400), not crashes', () => {
  assert.throws(() => decodeBody('not json'), WireError);
  assert.throws(() => decodeBody({ inputs: [] }), /needs \{"tensors"/);
  assert.throws(() => decodeBody({ tensors: { x: { dtype: 'float32', shape: [3], data: Buffer.alloc(8).toString('base64') } } }), /8 bytes do not fill float32\[3\]/);
  assert.throws(() => decodeBody({ tensors: { x: { dtype: 'string', shape: [1], values: ['a'] } } }), /cannot cross/);
  assert.throws(() => decodeBody({ tensors: { x: { dtype: 'float32', shape: [1], s3: { bucket: 'b', key: 'k' } } } }), /object-store reference/);
  const truncated = encodeBinary({ x: feeds.x! }).subarray(0, 20);
  assert.throws(() => decodeBinary(truncated), WireError);
});
