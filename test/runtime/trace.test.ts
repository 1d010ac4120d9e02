/** The request trace (issue 28): x-mopar-trace on request, mopar_request_phase_seconds, serve --trace's line. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, DEFAULT_GATEWAY, randomFeeds, httpRequest, modelMetadata } from '../../src/runtime/index.js';
import { binaryInferRequest } from '../../src/runtime/client.js';
import { parseTrace, PHASES } from '../../src/runtime/trace.js';
import { cleanup, tmpDir, writeToyManifest } from './helpers.js';

const dir = tmpDir('trace');
let gw: Gateway;
let base = '';

before(async () => {
  const part = await writeToyManifest(dir, 'shm');
  gw = new Gateway({ ...DEFAULT_GATEWAY, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 60_000 } });
  gw.addModel(part.dir, 'toy-part');
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});

after(async () => {
  await gw?.close();
  cleanup(dir);
});

test('x-mopar-trace: 1 gets the phase timings of the request; without it, no header', async () => {
  const feeds = randomFeeds(await modelMetadata(base, 'toy-part'));
  const { body, headers } = binaryInferRequest(feeds);
  const url = `${base}/v2/models/toy-part/infer`;
  const plain = await httpRequest(url, { method: 'POST', headers, body });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['x-mopar-trace'], undefined);
  const r = await httpRequest(url, { method: 'POST', headers: { ...headers, 'x-mopar-trace': '1' }, body });
  assert.equal(r.status, 200);
  const tr = parseTrace(String(r.headers['x-mopar-trace']));
  for (const p of ['parse', 'run', 'ipc_send', 'ipc_recv', 'total'] as const) assert.ok((tr[p] ?? -1) > 0, `${p} in ${String(r.headers['x-mopar-trace'])}`);
  for (const p of PHASES) assert.ok((tr[p] ?? 0) >= 0 && (tr[p] ?? 0) <= tr.total!, p);
  // 4 functions: each one's session run is part of the request.
  const text = await (await httpRequest(`${base}/metrics`)).body.toString();
  for (const p of ['read', 'parse', 'run', 'write']) assert.match(text, new RegExp(`^mopar_request_phase_seconds_count\\{model="toy-part",phase="${p}"\\} 2$`, 'm'), p);
});
