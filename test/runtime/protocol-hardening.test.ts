/**
 * Issue 26 (smaller items), at the gateway and at the deployed v2 front end (one parser, runtime/protocol.ts):
 * Inference-Header-Content-Length only as decimal digits, no bytes after the binary tensors, JSON nested past
 * what the inputs' ranks need refused before JSON.parse walks it.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, httpRequest } from '../../src/runtime/index.js';
import { v2Handler } from '../../src/deploy/function-runtime/v2.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';

const dir = tmpDir('proto26');
let gw: Gateway;
let base = '';

before(async () => {
  gw = new Gateway({ ...DEFAULT_GATEWAY, maxBodyBytes: 64 * 2 ** 20 });
  gw.addModel(writeToyModel(dir), 'toy'); // x[1,16] → y[1,8], one function
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

/** A binary request for x = 16 × 0.5, with `extra` bytes after the tensor and the header length as `hl` says. */
function binaryBody(extra = 0, hl?: (n: number) => string): { body: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], parameters: { binary_data_size: 64 } }] }));
  const x = Buffer.from(new Float32Array(16).fill(0.5).buffer);
  return {
    body: Buffer.concat([head, x, Buffer.alloc(extra, 7)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': hl ? hl(head.length) : String(head.length) },
  };
}

const post = (b: { body: Buffer | string; headers: Record<string, string> }) => httpRequest(`${base}/v2/models/toy/infer`, { method: 'POST', ...b });
const errorOf = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { error: string }).error;

/** The same request through a deployed function's v2 front end (a stand-in model: y = x). */
const v2 = v2Handler({
  name: 'toy', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 16] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 16] }],
  run: async (feeds) => ({ y: feeds.x! }),
});
const v2Post = (b: { body: Buffer; headers: Record<string, string> }) => v2({ method: 'POST', path: '/v2/models/toy/infer', headers: b.headers, body: b.body });

test('Inference-Header-Content-Length: plain decimal digits only (1e3, 0x10, " 12", "" are 400)', async () => {
  assert.equal((await post(binaryBody())).status, 200);
  assert.equal((await v2Post(binaryBody())).status, 200);
  for (const hl of [(n: number) => n.toExponential(), (n: number) => `0x${n.toString(16)}`, (n: number) => `${n}.0`, (n: number) => `+${n}`, () => '']) {
    const b = binaryBody(0, hl);
    for (const r of [await post(b), await v2Post(b)]) {
      assert.equal(r.status, 400, `${b.headers['inference-header-content-length']}: ${r.body.toString()}`);
      assert.match(errorOf(r), /^Inference-Header-Content-Length must be a byte count in decimal digits, got /);
    }
  }
});

test('bytes after the binary tensors → 400 saying how many', async () => {
  for (const r of [await post(binaryBody(3)), await v2Post(binaryBody(3))]) {
    assert.equal(r.status, 400, r.body.toString());
    assert.match(errorOf(r), /^3 bytes after the binary tensors \(their binary_data_size add up to 64 of the 67 bytes after the header\)$/);
  }
});

test('a 5M-deep JSON body is refused by its nesting before it is parsed; nesting the shape needs is accepted', async () => {
  const deep = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,16],"data":${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}]}`;
  const t0 = performance.now();
  const r = await post({ body: deep, headers: { 'content-type': 'application/json' } });
  const ms = performance.now() - t0;
  assert.equal(r.status, 400);
  assert.match(errorOf(r), /^request JSON is nested deeper than 18 levels/);
  assert.ok(ms < 1_500, `took ${ms.toFixed(0)} ms`);
  const v = await v2Post({ body: Buffer.from(deep), headers: { 'content-type': 'application/json' } });
  assert.equal(v.status, 400);
  assert.match(errorOf(v), /^request JSON is nested deeper than 18 levels/);
  // Nested as the shape [1,16], with strings holding brackets and escaped quotes: fine.
  const ok = JSON.stringify({ id: '[[[[\\"{{{{', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: [new Array(16).fill(0.5)] }] });
  assert.equal((await post({ body: ok, headers: { 'content-type': 'application/json' } })).status, 200);
});
