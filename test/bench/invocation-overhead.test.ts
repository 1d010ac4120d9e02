import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureServedOverhead } from '../../src/bench/index.js';

test('served-call overhead: the four probes answer side by side and give finite overheads; a MiB of input costs time', async () => {
  const o = await measureServedOverhead({ requests: 30 });
  assert.ok(Number.isFinite(o.requestMs) && o.requestMs > 0, `requestMs ${o.requestMs}`);
  assert.ok(Number.isFinite(o.invocationMs) && o.invocationMs >= 0, `invocationMs ${o.invocationMs}`);
  // 1 MiB through HTTP, the gateway's codec and a segment is never free: paired with the tiny probe in each round.
  assert.ok(Number.isFinite(o.requestMsPerMB) && o.requestMsPerMB > 0, `requestMsPerMB ${o.requestMsPerMB}`);
  // 4 MiB of reply through the host's encoder, a segment, the gateway and HTTP: never free either.
  assert.ok(Number.isFinite(o.replyMsPerMB) && o.replyMsPerMB > 0, `replyMsPerMB ${o.replyMsPerMB}`);
});
