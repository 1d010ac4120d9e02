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
