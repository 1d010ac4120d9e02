/**
 * Issue 26: no request ends a deployed function's HTTP server (function-runtime/http-server.ts around the v2
 * front end, what Knative and OpenFaaS containers run). Raw requests over TCP (fast-check, a bounded number):
 * every one is answered with a status, the server stays up, 4xx bodies are one-line {"error"}s.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { serveHandler } from '../../src/deploy/function-runtime/http-server.js';
import { faasHandler } from '../../src/deploy/function-runtime/faas-handler.js';
import { v2Handler } from '../../src/deploy/function-runtime/v2.js';
import { KNOWN_BAD_TARGETS, encode, requestArb, sendRaw, statusOf } from '../fixtures/http-fuzz.js';

let server: Server;
let port = 0;

before(async () => {
  // A slice's front end over a stand-in model (x[1,4] → y = x): the HTTP and protocol layers are under test here.
  server = await serveHandler(faasHandler(v2Handler({
    name: 'm', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    run: async (feeds) => ({ y: feeds.x! }),
  })), 0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

const health = async () => statusOf(await sendRaw(port, Buffer.from('GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')));
const VALID = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });

test('bad percent-encoding, CONNECT and very long names: 4xx with a short one-line error, server stays up', async () => {
  for (const target of KNOWN_BAD_TARGETS) {
    const reply = await sendRaw(port, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    const status = statusOf(reply);
    assert.ok(status !== undefined && status >= 400 && status < 500, `${target}: ${reply.slice(0, 200)}`);
    assert.ok(reply.length < 2_000, `${target}: the answer echoes too much (${reply.length} bytes)`);
    assert.equal(await health(), 200, `after ${target}`);
  }
  const bad = await sendRaw(port, Buffer.from('POST /v2/models/%E0%A4%A/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(statusOf(bad), 400, bad);
  assert.match(bad, /"error":"model name in [^\n]* is not valid percent-encoding"/);
  const connect = await sendRaw(port, Buffer.from('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
  assert.equal(statusOf(connect), 405, connect);
  assert.equal(await health(), 200);
});

test('fuzz: random requests are each answered with a status and never end the server', { timeout: 60_000 }, async () => {
  await fc.assert(fc.asyncProperty(requestArb('m', 'x', 2, VALID), async (r) => {
    const reply = await sendRaw(port, encode(r));
    const status = statusOf(reply);
    assert.ok(status !== undefined, `no status for ${JSON.stringify(encode(r).toString('latin1').slice(0, 300))}: ${JSON.stringify(reply.slice(0, 200))}`);
    assert.ok(status < 500, `server error ${status} for ${JSON.stringify(encode(r).toString('latin1').slice(0, 300))}: ${reply.slice(0, 300)}`);
    assert.doesNotMatch(reply, /\n\s+at |\/tmp\/|\/work\//);
  }), { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 26), endOnFailure: true });
  assert.equal(await health(), 200);
});
