/** The one tensor codec: every carried dtype round-trips through bytes, base64, JSON values and the framing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesOf, CodecError, frameParts, fromBase64, joinFrame, packTensors, PartReader, splitFrame, supportedDtype, tensorFromBytes,
  tensorFromValues, tensorValues, toBase64, TYPED_ARRAYS, typedArrayOf, typedArraysSource, unpackTensors,
} from '../../src/codec/index.js';
import { MoparError } from '../../src/core/index.js';
import type { DType, Feeds, PlainTensor } from '../../src/graph/index.js';

/** One tensor per carried dtype, with values that exercise sign, range and (for 64-bit) precision beyond 2^53. */
const SAMPLES: Record<string, PlainTensor> = {
  float32: { dtype: 'float32', dims: [2, 3], data: Float32Array.from([1.5, -2, 3, 0, 1e-7, -3.4e38]) },
  float64: { dtype: 'float64', dims: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
  float16: { dtype: 'float16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) as unknown as PlainTensor['data'] },
  int8: { dtype: 'int8', dims: [3], data: Int8Array.from([-128, 0, 127]) },
  uint8: { dtype: 'uint8', dims: [3], data: Uint8Array.from([0, 1, 255]) },
  int16: { dtype: 'int16', dims: [2], data: Int16Array.from([-32768, 32767]) },
  uint16: { dtype: 'uint16', dims: [2], data: Uint16Array.from([0, 65535]) },
  int32: { dtype: 'int32', dims: [2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
  uint32: { dtype: 'uint32', dims: [2], data: Uint32Array.from([0, 2 ** 32 - 1]) },
  int64: { dtype: 'int64', dims: [1, 3], data: BigInt64Array.from([9007199254740993n, -5n, -(2n ** 63n)]) },
  uint64: { dtype: 'uint64', dims: [2], data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
  bool: { dtype: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) as unknown as PlainTensor['data'] },
  empty: { dtype: 'float32', dims: [0, 4], data: new Float32Array(0) },
};

function same(got: PlainTensor, want: PlainTensor, what: string): void {
  assert.equal(got.dtype, want.dtype, what);
  assert.deepEqual(got.dims, want.dims, what);
  assert.equal(got.data.constructor, want.data.constructor, what);
  assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(want.data as ArrayLike<unknown>), what);
}

test('the table covers exactly the dtypes that have a typed array', () => {
  assert.deepEqual(Object.keys(TYPED_ARRAYS).sort(), Object.keys(SAMPLES).filter((k) => k !== 'empty').sort());
  for (const d of ['string', 'complex64', 'bfloat16', 'int4'] as DType[]) {
    assert.equal(supportedDtype(d), false, d);
    assert.throws(() => typedArrayOf(d), (e: unknown) => e instanceof CodecError && e instanceof MoparError && /cannot cross/.test(e.message));
  }
  assert.equal(supportedDtype('toString' as DType), false, 'inherited properties are not dtypes');
  const table = new Function(`return ${typedArraysSource()}`)() as Record<string, unknown>;
  assert.deepEqual(table, { ...TYPED_ARRAYS }, 'the generated source is the same table');
});

test('every dtype round-trips through bytes (view and copy) and base64', () => {
  for (const [k, t] of Object.entries(SAMPLES)) {
    const bytes = bytesOf(t);
    assert.equal(bytes.buffer, (t.data as unknown as ArrayBufferView).buffer, `${k}: bytesOf is a view`);
    same(tensorFromBytes(t.dtype, t.dims, bytes), t, k);
    const copy = tensorFromBytes(t.dtype, t.dims, bytes, { copy: true });
    same(copy, t, k);
    assert.notEqual((copy.data as unknown as ArrayBufferView).buffer, bytes.buffer, `${k}: copy owns its buffer`);
    same(tensorFromBytes(t.dtype, t.dims, fromBase64(toBase64(bytes))), t, `${k} via base64`);
  }
});

test('bytes at an unaligned offset are copied into an aligned tensor', () => {
  const t = SAMPLES.int64!;
  const shifted = new Uint8Array(bytesOf(t).byteLength + 1);
  shifted.set(bytesOf(t), 1);
  same(tensorFromBytes('int64', t.dims, shifted.subarray(1)), t, 'unaligned');
});

test('JSON values round-trip for every dtype but float16, 64-bit integers as strings beyond 2^53', () => {
  for (const [k, t] of Object.entries(SAMPLES)) {
    if (t.dtype === 'float16') {
      assert.throws(() => tensorFromValues(t.dtype, t.dims, tensorValues(t)), /must be sent as binary/);
      continue;
    }
    const big = t.dtype === 'int64' || t.dtype === 'uint64';
    const values = big ? Array.from(t.data as BigInt64Array, String) : tensorValues(t);
    same(tensorFromValues(t.dtype, t.dims, values), t, k);
  }
  assert.deepEqual(tensorValues(SAMPLES.int64!), [9007199254740992, -5, -(2 ** 63)], 'JSON numbers are the nearest doubles');
  same(tensorFromValues('bool', [3], [true, false, 'yes']), SAMPLES.bool!, 'bool from truthiness');
});

test('bad values, shapes and bytes are CodecErrors (HTTP 400) naming the problem', () => {
  const bad: Array<[() => unknown, RegExp]> = [
    [() => tensorFromValues('float32', [2], [1]), /1 values do not fill shape \[2\] \(2 needed\)/],
    [() => tensorFromValues('float32', [1], ['a'], "'data'"), /'data' must hold numbers/],
    [() => tensorFromValues('float32', [1], [NaN]), /must hold numbers/],
    [() => tensorFromValues('int64', [1], [1.5]), /must hold integers/],
    [() => tensorFromValues('float32', [-1], []), /bad tensor shape/],
    [() => tensorFromValues('float32', [1.5], [1]), /bad tensor shape/],
    [() => tensorFromBytes('float32', [3], new Uint8Array(8)), /8 bytes do not fill float32\[3\] \(12 needed\)/],
    [() => tensorFromBytes('string', [1], new Uint8Array(1)), /cannot cross/],
    [() => bytesOf({ dtype: 'string', dims: [1], data: ['a'] }), /cannot cross/],
    [() => fromBase64('AAA'), /not valid base64/],
    [() => fromBase64('AA@A'), /not valid base64/],
    [() => fromBase64(42 as unknown as string), /not valid base64/],
  ];
  for (const [f, re] of bad) {
    assert.throws(f, (e: unknown) => e instanceof CodecError && e.status === 400 && re.test(e.message), String(re));
  }
});

test('v2 framing: header + parts split back, header length checked, parts bounds-checked', () => {
  const parts = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), Uint8Array.from([4])];
  const { body, headerLength } = joinFrame({ outputs: [3, 0, 1] }, parts);
  const { header, payload } = splitFrame(body, headerLength);
  assert.deepEqual(header, { outputs: [3, 0, 1] });
  const r = new PartReader(payload);
  assert.deepEqual([...r.take(3, 'a')], [1, 2, 3]);
  assert.deepEqual([...r.take(0, 'b')], []);
  assert.deepEqual([...r.take(1, 'c')], [4]);
  assert.equal(r.remaining, 0);
  assert.throws(() => r.take(1, 'binary_data_size'), /binary_data_size 1 runs past the end of the body/);
  assert.throws(() => new PartReader(payload).take(-1, 'size'), CodecError);
  assert.throws(() => new PartReader(payload).take('3', 'size'), CodecError);
  assert.deepEqual(splitFrame(Buffer.from('{"a":1}')).header, { a: 1 }, 'no header length: the whole body is JSON');
  assert.throws(() => splitFrame(body, body.length + 1), (e: unknown) => e instanceof CodecError && /does not fit/.test(e.message));
  assert.throws(() => splitFrame(body, 2.5), CodecError);
  assert.throws(() => splitFrame(body, JSON.stringify({ outputs: [3, 0, 1] }).length - 1), /malformed JSON header/);
  assert.throws(() => splitFrame(Buffer.from('{')), /malformed JSON body/);
});

test('v2 framing pads the header to 8 bytes: a float32 part after it is read in place, not copied', () => {
  for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'é']) {
    const data = Float32Array.from([1.5, -2, 3.25]);
    const { body, headerLength } = joinFrame({ name }, [new Uint8Array(data.buffer)]);
    assert.equal(headerLength % 8, 0, `header of ${name}: ${headerLength} bytes`);
    assert.deepEqual(splitFrame(body, headerLength).header, { name });
    const bytes = new PartReader(splitFrame(body, headerLength).payload).take(12, 'x');
    const t = tensorFromBytes('float32', [3], bytes);
    assert.deepEqual([...(t.data as Float32Array)], [1.5, -2, 3.25]);
    assert.equal((t.data as Float32Array).buffer, body.buffer, 'a view of the received body');
  }
  const f = frameParts({ a: 1 }, [Uint8Array.from([1, 2]), Uint8Array.from([3])]);
  assert.equal(f.length, Buffer.concat(f.chunks).length);
  assert.deepEqual(Buffer.concat(f.chunks), joinFrame({ a: 1 }, [Uint8Array.from([1, 2]), Uint8Array.from([3])]).body, 'the chunks are the joined frame');
});

test('packed tensors: every dtype round-trips at any byte offset; truncation and bad entries are CodecErrors', () => {
  const feeds: Feeds = { ...SAMPLES };
  const { entries, parts } = packTensors(feeds);
  const payload = Buffer.concat(parts);
  const wire = JSON.parse(JSON.stringify(entries)) as unknown;
  const got = unpackTensors(wire, payload);
  for (const k of Object.keys(feeds)) same(got[k]!, feeds[k]!, k);
  const shifted = Buffer.alloc(payload.length + 1);
  payload.copy(shifted, 1);
  for (const k of Object.keys(feeds)) same(unpackTensors(wire, shifted.subarray(1))[k]!, feeds[k]!, `${k} shifted`);
  assert.deepEqual(unpackTensors([], Buffer.alloc(0)), {}, 'an empty set');
  for (let cut = 0; cut < payload.length; cut += 7) {
    if (cut >= entries.at(-1)!.offset + entries.at(-1)!.length) break;
    assert.throws(() => unpackTensors(wire, payload.subarray(0, cut)), (e: unknown) => e instanceof CodecError && /truncated frame at tensor/.test(e.message), `cut at ${cut}`);
  }
  assert.throws(() => unpackTensors({ not: 'a list' }, payload), /expected a list/);
  assert.throws(() => unpackTensors([{ name: 'x' }], payload), /needs a name and a dtype/);
  assert.throws(() => unpackTensors([{ name: 'x', dtype: 'float32', shape: [2], offset: 0, length: 4 }], new Uint8Array(4)), /tensor 'x': 4 bytes do not fill float32\[2\]/);
  assert.throws(() => unpackTensors([{ name: 'x', dtype: 'float32', shape: [1], offset: 2, length: 4 }], new Uint8Array(4)), /truncated frame at tensor 'x'/);
  assert.throws(() => unpackTensors([{ name: 'x', dtype: 'float32', shape: [1], offset: -1, length: 4 }], new Uint8Array(4)), /truncated frame at tensor 'x'/);
});

test('packing with alignment puts every tensor at a multiple of it', () => {
  const { entries, parts } = packTensors({ a: SAMPLES.uint8!, b: SAMPLES.int64!, c: SAMPLES.int8!, d: SAMPLES.float64! }, 8);
  for (const e of entries) assert.equal(e.offset % 8, 0, e.name);
  const payload = Buffer.concat(parts);
  const got = unpackTensors(JSON.parse(JSON.stringify(entries)), payload);
  same(got.b!, SAMPLES.int64!, 'b');
  same(got.d!, SAMPLES.float64!, 'd');
});
