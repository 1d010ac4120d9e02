/**
 * Issue 26: no request ends the gateway. Raw request lines, headers and bodies (fast-check, a bounded number)
 * over a raw TCP socket: every one is answered with a status, and the gateway is still up after each.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Gateway, DEFAULT_GATEWAY } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';
import { KNOWN_BAD_TARGETS, encode, requestArb, sendRaw, statusOf } from '../fixtures/http-fuzz.js';

const dir = tmpDir('fuzz');
let gw: Gateway;
let port = 0;

before(async () => {
  gw = new Gateway({ ...DEFAULT_GATEWAY, httpTimeouts: { headersMs: 2_000, checkEveryMs: 200 } });
  gw.addModel(writeToyModel(dir), 'toy'); // one function: x[1,16] → y[1,8]
  port = (await gw.listen(0)).port;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

const VALID = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0.5) }] });
const health = async () => statusOf(await sendRaw(port, Buffer.from('GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')));

test('malformed request targets (absolute-form with a bad host, scheme-relative with a bad port) → 400, gateway stays up', async () => {
  for (const target of KNOWN_BAD_TARGETS) {
    const reply = await sendRaw(port, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    const status = statusOf(reply);
    assert.ok(status !== undefined && status >= 400 && status < 500, `${target}: ${reply.slice(0, 200)}`);
    if (status === 400 && /content-type: application\/json/i.test(reply)) assert.match(reply, /\r\n\r\n\{"error":"[^\n]*"\}$/);
    assert.ok(reply.length < 2_000, `${target}: the answer echoes too much (${reply.length} bytes)`);
    assert.equal(await health(), 200, `after ${target}`);
  }
  const reply = await sendRaw(port, Buffer.from('GET //a:99999/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  assert.equal(statusOf(reply), 404); // a path, not a host and port
  assert.match(reply, /"error":"no route GET \/\/a:99999\/x"/);
  assert.equal(statusOf(await sendRaw(port, Buffer.from('GET http://[/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))), 400);
  assert.equal(statusOf(await sendRaw(port, Buffer.from('GET http://x/v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))), 200);
  // CONNECT: node would drop the connection without a word.
  assert.equal(statusOf(await sendRaw(port, Buffer.from('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'))), 405);
  assert.equal(await health(), 200);
});

test('fuzz: random requests are each answered with a status and never end the gateway', { timeout: 60_000 }, async () => {
  const t0 = Date.now();
  await fc.assert(fc.asyncProperty(requestArb('toy', 'x', 2, VALID), async (r) => {
    const reply = await sendRaw(port, encode(r));
    const status = statusOf(reply);
    assert.ok(status !== undefined, `no status for ${JSON.stringify(encode(r).toString('latin1').slice(0, 300))}: ${JSON.stringify(reply.slice(0, 200))}`);
    assert.ok(status < 500 || status === 502 || status === 503 || status === 504, `server error ${status} for ${JSON.stringify(encode(r).toString('latin1').slice(0, 300))}: ${reply.slice(0, 300)}`);
    // Never a stack or a local path in an answer.
    assert.doesNotMatch(reply, /\n\s+at |\/tmp\/|\/work\//);
  }), { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 26), endOnFailure: true });
  assert.equal(await health(), 200);
  assert.ok(Date.now() - t0 < 45_000, `fuzzing took ${Date.now() - t0} ms`);
});
