/** The KServe v2 router's shared cases (test/fixtures/v2-router-cases.ts) against the embedded gateway. */
import { after, before } from 'node:test';
import { Gateway, DEFAULT_GATEWAY } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyModel } from './helpers.js';
import { TOY, v2RouterCases } from '../fixtures/v2-router-cases.js';

const dir = tmpDir('v2-router');
let gw: Gateway;
let base = '';

before(async () => {
  gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  gw.addModel(writeToyModel(dir, TOY.input.shape[1]), TOY.name);
  base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
});
after(async () => {
  await gw?.close();
  cleanup(dir);
});

v2RouterCases('gateway', () => base);
