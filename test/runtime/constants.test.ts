/**
 * A manifest's constants on the embedded runtime, over HTTP: the gateway feeds them to the functions itself,
 * the client sends only the model inputs and cannot set a constant.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Gateway, DEFAULT_GATEWAY, httpRequest, infer, modelMetadata } from '../../src/runtime/index.js';
import { entryFunctions } from '../../src/runtime/constants.js';
import type { ManifestFunction } from '../../src/partition/index.js';
import { CONSTANTS, buildWithConstants } from '../fixtures/dataflow-cases.js';
import { cleanup, tmpDir } from './helpers.js';

const dir = tmpDir('constants');
after(() => cleanup(dir));

/** What the partition computes: y = (x + k) · k · v, in float32 (-0 as 0: JSON has no -0). */
function expected(x: readonly number[]): number[] {
  const k = CONSTANTS.k!.data;
  const v = CONSTANTS.v!.data[0]!;
  return x.map((xi, i) => Math.fround(Math.fround(Math.fround(xi + k[i]!) * k[i]!) * v) + 0);
}

test('the gateway answers with the manifest\'s constants; they are no model inputs a client may send', async () => {
  const { part } = await buildWithConstants(join(dir, 'm'));
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    gw.addModel(part, 'consts');
    const base = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    assert.deepEqual((await modelMetadata(base, 'consts')).inputs, [{ name: 'x', datatype: 'FP32', shape: [1, 8] }]);
    for (const x of [[1, 2, 3, 4, 5, 6, 7, 8], [-0.5, 0, 0.25, 9, -3, 1, 2, -8]]) {
      const r = await infer(base, 'consts', { x: { dtype: 'float32', dims: [1, 8], data: Float32Array.from(x) } });
      assert.deepEqual(Array.from(r.outputs.y!.data as Float32Array, (y) => y + 0), expected(x));
    }
    const json = await httpRequest(`${base}/v2/models/consts/infer`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: [1, 1, 1, 1, 1, 1, 1, 1] }] }) });
    assert.equal(json.status, 200, json.body.toString());
    assert.deepEqual((JSON.parse(json.body.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data, expected([1, 1, 1, 1, 1, 1, 1, 1]));
    const override = await httpRequest(`${base}/v2/models/consts/infer`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8], data: [1, 1, 1, 1, 1, 1, 1, 1] }, { name: 'v', datatype: 'INT64', shape: [], data: [0] }] }) });
    assert.equal(override.status, 400);
    assert.match(JSON.parse(override.body.toString()).error, /unknown input 'v' \(the model's inputs: x\)/);
  } finally {
    await gw.close();
  }
});

test('a function reading model inputs and constants is where requests enter (admission, 429), one reading a hand-off is not', () => {
  const fn = (name: string, inputs: string[]) => ({ name, inputs, outputs: [`${name}.out`] }) as unknown as ManifestFunction;
  const m = { inputs: ['x'], constants: CONSTANTS, functions: [fn('f1', ['x', 'k']), fn('f2', ['f1.out', 'k']), fn('g', ['v'])] };
  assert.deepEqual([...entryFunctions(m)].sort(), ['f1', 'g']);
});
