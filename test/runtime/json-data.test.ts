/** json-data.ts against JSON.parse: the same doubles, bit for bit; anything it does not take is left to JSON.parse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJsonData, scannedValues } from '../../src/runtime/json-data.js';
import { parseInferRequest } from '../../src/runtime/protocol.js';
import { Rng } from '../../src/core/index.js';

const body = (data: string, extra = '') => Buffer.from(`{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":${data}${extra}}]}`);
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

function same(dataText: string): void {
  const s = scanJsonData(body(dataText));
  assert.ok(s, `scanned: ${dataText}`);
  const want = flat(JSON.parse(dataText));
  const got = Array.from(scannedValues(s.data[0]!, false));
  assert.equal(got.length, want.length, dataText);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${dataText}[${i}]: ${got[i]} vs ${want[i]}`);
  assert.deepEqual(JSON.parse(s.text), JSON.parse(body('[]').toString()));
}

test('numbers of every form decode exactly as JSON.parse decodes them', () => {
  for (const t of ['[0]', '[-0]', '[-0.0]', '[0e5]', '[-0E-3]', '[1,2,3,4]', '[[1.5,-2.25],[3e2,4E-2]]', '[0.1, 0.2 ,\n0.3\t,1e22]', '[1e23]',
    '[123456789012345]', '[1234567890123456]', '[12345678901234567890]', '[9007199254740993]', '[0.000001234]', '[1e-7]', '[5e-324]',
    '[2.2250738585072014e-308]', '[1.7976931348623157e308]', '[1e400]', '[-1e400]', '[1e-400]', '[0.30000000000000004]', '[1e+2]',
    '[100000000000000000000000]', '[9007199254740993e-5]', '[9007199254740993e3]', '[90071992547409930e-6]', '[9007199254740995e-7]', '[0.1e1, 10.05, 3.4028234663852886e38, 3.4028235e38]', '[[],[[]]]', '[]']) same(t);
  const rng = new Rng(7);
  const nums: string[] = [];
  for (let i = 0; i < 20000; i++) {
    const x = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 40 - 20);
    const f = i % 4;
    nums.push(f === 0 ? String(x) : f === 1 ? x.toExponential(Math.floor(rng.next() * 18)) : f === 2 ? x.toFixed(Math.floor(rng.next() * 20)) : String(Math.fround(x)));
  }
  same(`[${nums.join(',')}]`);
});

test('anything but a plain array of numbers is left to JSON.parse (undefined)', () => {
  for (const t of ['["NaN"]', '[true]', '[null]', '[{}]', '[1,]', '[,1]', '[1 2]', '[01]', '[1.]', '[.5]', '[+1]', '[-]', '[1e]', '[1e+]', '[0x10]',
    '[Infinity]', '[NaN]', '[1', '[[1]', '"abc"']) {
    const s = scanJsonData(body(t));
    // Either not taken, or taken and the rest of the body is what JSON.parse refuses (never silently accepted).
    if (s) assert.throws(() => JSON.parse(s.text), t);
  }
  // An escaped key, a duplicate data key, data outside inputs, non-object bodies: not taken.
  assert.equal(scanJsonData(Buffer.from('{"inputs":[{"name":"x","d\\u0061ta":[1]}]}')), undefined);
  assert.equal(scanJsonData(Buffer.from('{"inputs":[{"name":"x","data":[1],"data":[2]}]}')), undefined);
  assert.equal(scanJsonData(Buffer.from('{"parameters":{"data":[1]},"inputs":[]}')), undefined);
  assert.equal(scanJsonData(Buffer.from('[{"inputs":[{"data":[1]}]}]')), undefined);
  // Strings that look like structure do not confuse it.
  const s = scanJsonData(Buffer.from('{"id":"x\\"],[{","inputs":[{"name":"a]","data":[1]},{"name":"b","data":[[2,3]]}]}'))!;
  assert.deepEqual(s.data.map((d) => [d.input, Array.from(d.values.subarray(0, d.count))]), [[0, [1]], [1, [2, 3]]]);
});

test('parseInferRequest: the fast path gives the generic path\'s values and messages', () => {
  const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [2, 2] }];
  const req = (data: string, dt = 'FP32') => Buffer.from(`{"inputs":[{"name":"x","shape":[2,2],"datatype":"${dt}","data":${data}}]}`);
  assert.deepEqual(Array.from(parseInferRequest(req('[[1,-0],[0.1,3e2]]'), undefined, inputs).feeds.x!.data as Float32Array), [1, -0, Math.fround(0.1), 300]);
  // Strings go the generic way (same answer).
  assert.deepEqual(Array.from(parseInferRequest(req('[[1,"NaN"],["Infinity","-Infinity"]]'), undefined, inputs).feeds.x!.data as Float32Array), [1, NaN, Infinity, -Infinity]);
  const msg = (data: string, dt?: string) => { try { parseInferRequest(req(data, dt), undefined, inputs); return ''; } catch (e) { return (e as Error).message; } };
  assert.equal(msg('[[1,2],[3]]'), `input 'x': 3 values do not fill shape [2,2] (4 needed)`);
  assert.equal(msg('[[1,2],[3,4],[5]]'), `input 'x': more values in 'data' than shape holds (4)`);
  assert.equal(msg('[[[1]],[2,3]]'), `input 'x': 'data' is nested deeper than its shape (rank 2)`);
  assert.equal(msg('[[1,2],[3,1e39]]'), `input 'x': value 1e+39 at index 3 is beyond the range of FP32 (±3.4028234663852886e38)`);
  assert.equal(msg('[[1,2],[3,1e400]]'), `input 'x': value Infinity at index 3 is beyond the range of FP32`);
  assert.match(msg('[[1,2],[3,4]],}'), /^malformed JSON body/);
  const ints = [{ name: 'x', dtype: 'int32' as const, shape: [2, 2] }];
  assert.deepEqual(Array.from(parseInferRequest(req('[[1,2],[3,-4]]', 'INT32'), undefined, ints).feeds.x!.data as Int32Array), [1, 2, 3, -4]);
  assert.throws(() => parseInferRequest(req('[[1,2],[3,4.5]]', 'INT32'), undefined, ints), /value 4.5 at index 3 is not an integer \(INT32\)/);
});

test('a second top-level "inputs" key is left to JSON.parse, which keeps the last (its tensor has no data: 400)', () => {
  const body = Buffer.from('{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2]}],"inputs":[{"name":"x","shape":[2],"datatype":"FP32"}]}');
  assert.equal(scanJsonData(body), undefined);
  assert.throws(() => parseInferRequest(body, undefined, [{ name: 'x', dtype: 'float32', shape: [2] }]), (e: Error & { status?: number }) => e.status === 400);
});

test('FP32 data: the floats JSON.parse and a Float32Array give, bit for bit, float midpoints and their neighbours included', () => {
  const rng = new Rng(11);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const nums: number[] = [];
  for (let i = 0; i < 30000; i++) {
    // A random finite float, its upper neighbour, and the doubles at and around their midpoint (ties: to even).
    u32[0] = Math.floor(rng.next() * 0x7f000000) | (rng.next() < 0.5 ? 0x80000000 : 0);
    const f = f32[0]!;
    u32[0]! += 1;
    const g = f32[0]!;
    const mid = (f + g) / 2;
    const ulp = Math.abs(mid) * 2 ** -52;
    nums.push(f, mid, mid + ulp, mid - ulp, mid + 64 * ulp, (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 60 - 30));
  }
  const text = `[${nums.map(String).join(',')}]`;
  const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [nums.length] }];
  const got = parseInferRequest(Buffer.from(`{"inputs":[{"name":"x","shape":[${nums.length}],"datatype":"FP32","data":${text}}]}`), undefined, inputs).feeds.x!.data as Float32Array;
  const want = Float32Array.from(JSON.parse(text) as number[]);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer);
  let differ = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) differ++;
  assert.equal(differ, 0, `${differ} of ${b.length} floats differ from JSON.parse's`);
  // The same text as FP64: every double exact (the approximation is never kept for doubles).
  const g64 = parseInferRequest(Buffer.from(`{"inputs":[{"name":"x","shape":[${nums.length}],"datatype":"FP64","data":${text}}]}`), undefined,
    [{ name: 'x', dtype: 'float64' as const, shape: [nums.length] }]).feeds.x!.data as Float64Array;
  const w64 = JSON.parse(text) as number[];
  assert.ok(w64.every((x, i) => Object.is(x, g64[i])), 'FP64 values equal JSON.parse bit for bit');
});

/** The scan's values for one FP32 data array read as floats, and JSON.parse's doubles stored in a Float32Array. */
function sameFloats(dataText: string): void {
  const s = scanJsonData(body(dataText), undefined, undefined, { float32: true, sizes: [4] });
  assert.ok(s, `scanned: ${dataText.slice(0, 80)}`);
  const got = scannedValues(s.data[0]!, true);
  assert.ok(got instanceof Float32Array);
  const want = Float32Array.from(flat(JSON.parse(dataText)));
  assert.equal(got.length, want.length);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer);
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) assert.fail(`${dataText.slice(0, 80)}… [${i}]: ${got[i]} vs ${want[i]}`);
}

test('floats stored as read (every input FP32): bit for bit a Float32Array of JSON.parse, 17-digit text, signs, exponents, boundaries', () => {
  for (const t of ['[0]', '[-0]', '[-0.0e-5]', '[1e-46]', '[-1e-46]', '[7.006492321624085e-46]', '[-7.006492321624086e-46]', '[1.401298464324817e-45]',
    '[3.4028234663852886e38]', '[3.4028235e38]', '[-3.4028235677973362e38]', '[1.1754943508222875e-38]', '[16777217]', '[-16777217e-7]',
    '[0.1, -0.2, 0.30000000000000004, 1e22, 1e23, 5e-324, 123456789012345678901234567890]', '[[1.5, -2.25], [3E2, 4e-2]]']) sameFloats(t);
  const rng = new Rng(5);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const nums: string[] = [];
  for (let i = 0; i < 40000; i++) {
    u32[0] = Math.floor(rng.next() * 0x7f800000) | (rng.next() < 0.5 ? 0x80000000 : 0);
    const f = f32[0]!;
    u32[0]! += 1;
    const mid = (f + f32[0]!) / 2;
    // What JSON.stringify prints for float32 data (17 digits), other precisions, exponent forms, the midpoint ± 1 ulp.
    const k = i % 6;
    nums.push(k === 0 ? String(f) : k === 1 ? f.toPrecision(17) : k === 2 ? f.toExponential(16).replace('e', 'E')
      : k === 3 ? f.toPrecision(1 + Math.floor(rng.next() * 21)) : String(mid + (k === 4 ? 1 : -1) * Math.abs(mid) * 2 ** -52));
  }
  sameFloats(`[${nums.join(',')}]`);
  // As bench/overhead.ts builds an image (many values' fraction digits run to the 17th significant digit).
  sameFloats(JSON.stringify(Array.from(Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i) * 0.5))));
});

test('digits read 8 at a time: any byte at any of the 8 places is a digit only if it is one', () => {
  for (const [head, tail] of [['0.', '12345678'], ['-1.', '23456789'], ['0.00', '98765432e-3']] as const) {
    for (let p = 0; p < 8; p++) {
      for (let b = 0; b < 256; b++) {
        const num = `${head}${tail.slice(0, p)}${String.fromCharCode(b)}${tail.slice(p + 1)}`;
        const dataText = `[${num},0.5]`;
        let want: unknown;
        try { want = JSON.parse(dataText); } catch { want = undefined; }
        const raw = Buffer.from(`{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":${dataText}}]}`, 'latin1');
        const s = scanJsonData(raw, undefined, undefined, { float32: true, sizes: [2] });
        if (!Array.isArray(want) || !want.every((v) => typeof v === 'number')) {
          if (s) assert.throws(() => JSON.parse(s.text), JSON.stringify(num));
          continue;
        }
        assert.ok(s, JSON.stringify(num));
        const got = scannedValues(s.data[0]!, true);
        assert.deepEqual(Array.from(got), (want as number[]).map(Math.fround), JSON.stringify(num));
      }
    }
  }
});

test('parseInferRequest with floats stored as read: the messages and tensors of the generic path', () => {
  const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [4] }];
  const req = (data: string) => Buffer.from(`{"inputs":[{"name":"x","shape":[4],"datatype":"FP32","data":${data}}]}`);
  const msg = (data: string) => { try { parseInferRequest(req(data), undefined, inputs); return ''; } catch (e) { return (e as Error).message; } };
  const beyond = (v: string, i: number) => `input 'x': value ${String(JSON.parse(v))} at index ${i} is beyond the range of FP32 (±3.4028234663852886e38)`;
  // The first value no float holds, whether read exactly (1e39) or first approximated (17 digits).
  assert.equal(msg('[1,1e39,3.4028235677973366e38,2]'), beyond('1e39', 1));
  assert.equal(msg('[1,-1e39,1e40,2]'), beyond('-1e39', 1));
  assert.equal(msg('[1,1e300,-1e400,2]'), beyond('1e300', 1));
  assert.equal(msg('[1,3.4028235677973366e38,1e39,2]'), beyond('3.4028235677973366e38', 1));
  assert.equal(msg('[1,2,-3.4028235677973366e38,1e400]'), beyond('-3.4028235677973366e38', 2));
  assert.equal(msg('[1,2,3,-1e400]'), `input 'x': value -Infinity at index 3 is beyond the range of FP32`);
  // The largest float and the largest double that rounds to it are accepted.
  const top = parseInferRequest(req('[3.4028234663852886e38,3.4028235677973362e38,-3.4028235677973362e38,0]'), undefined, inputs).feeds.x!.data as Float32Array;
  assert.deepEqual(Array.from(top), [3.4028234663852886e38, 3.4028234663852886e38, -3.4028234663852886e38, 0]);
  // Too many or too few values: the count messages, not a value's.
  assert.equal(msg('[1e39,1,2,3,4]'), `input 'x': more values in 'data' than shape holds (4)`);
  assert.equal(msg('[1e39]'), `input 'x': 1 values do not fill shape [4] (4 needed)`);
});

test('parseInferRequest: tensors exactly their size whatever the size guess; integers and mixed datatypes through doubles', () => {
  const values = (n: number, seed: number) => { const rng = new Rng(seed); return Array.from({ length: n }, () => Math.fround((rng.next() - 0.5) * 100)); };
  const tensor = (name: string, dt: string, shape: number[], data: unknown[]) => `{"name":"${name}","shape":${JSON.stringify(shape)},"datatype":"${dt}","data":${JSON.stringify(data)}}`;
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  const check = (got: Float32Array, want: number[]) => {
    assert.equal(got.byteLength, got.buffer.byteLength, 'the tensor owns exactly its bytes');
    assert.deepEqual(bits(got), bits(Float32Array.from(want)));
  };
  // Two FP32 inputs listed in the other order than the model's (each size guess wrong), and a dynamic one (no guess).
  const a = values(3000, 1);
  const b = values(10, 2);
  const c = values(2 * 1500, 3);
  const fp32 = [{ name: 'a', dtype: 'float32' as const, shape: [3000] }, { name: 'b', dtype: 'float32' as const, shape: [10] }, { name: 'c', dtype: 'float32' as const, shape: [-1, 1500] }];
  const three = parseInferRequest(Buffer.from(`{"inputs":[${tensor('c', 'FP32', [2, 1500], c)},${tensor('b', 'FP32', [10], b)},${tensor('a', 'FP32', [3000], a)}]}`), undefined, fp32);
  check(three.feeds.a!.data as Float32Array, a);
  check(three.feeds.b!.data as Float32Array, b);
  check(three.feeds.c!.data as Float32Array, c);
  // A model with an INT64 and an INT32 input besides FP32: doubles, then each datatype's own conversion.
  const mixed = [{ name: 'f', dtype: 'float32' as const, shape: [4] }, { name: 'i', dtype: 'int64' as const, shape: [4] }, { name: 'j', dtype: 'int32' as const, shape: [4] }];
  const i64 = [9007199254740991, -9007199254740991, 0, -1];
  const i32 = [2147483647, -2147483648, 12345678, -0];
  const f = [0.1, -0.2, 3.4028234663852886e38, 1e-45];
  const got = parseInferRequest(Buffer.from(`{"inputs":[${tensor('f', 'FP32', [4], f)},${tensor('i', 'INT64', [4], i64)},${tensor('j', 'INT32', [4], i32)}]}`), undefined, mixed);
  check(got.feeds.f!.data as Float32Array, f);
  assert.deepEqual(Array.from(got.feeds.i!.data as BigInt64Array), i64.map((v) => BigInt(v)));
  assert.deepEqual(Array.from(got.feeds.j!.data as Int32Array), Array.from(Int32Array.from(i32)));
  assert.throws(() => parseInferRequest(Buffer.from(`{"inputs":[${tensor('f', 'FP32', [4], f)},{"name":"i","shape":[4],"datatype":"INT64","data":[1,2,3,9007199254740993]},${tensor('j', 'INT32', [4], i32)}]}`), undefined, mixed),
    /value 9007199254740992 at index 3 is beyond 2\^53 as a JSON number/);
});
