/** SUPPORTED_OPSETS matches what onnxruntime-node really runs: every opset in range loads and runs, the next does not. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MoparError } from '../../src/core/errors.js';
import { encodeModel, GraphBuilder, loadModel, openSession, runSession, saveModel, SUPPORTED_OPSETS, type ModelProto } from '../../src/graph/index.js';

// Lowest IR version that allows each opset (onnx/helper.py VERSION_TABLE).
function irFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return opset - 5;
  if (opset <= 14) return opset <= 11 ? 6 : 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return opset <= 24 ? 11 : 12;
}

/** y = Softmax(Relu(x·W + x)) on a 1×2 input: ops whose semantics are the same at every opset since 7. */
function tiny(opset: number): ModelProto {
  const b = new GraphBuilder(`opset${opset}`);
  const x = b.input('x', 'float32', [1, 2]);
  const w = b.init('w', 'float32', [2, 2], Float32Array.of(1, 0, 0, -2));
  const h = b.node('Relu', [b.node('Add', [b.node('MatMul', [x, w]), x])]);
  b.output(b.node('Softmax', [h], { axis: 1 }), 'float32', [1, 2]);
  return b.model(opset, irFor(opset));
}

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'mopar-opset-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('opsets', () => {
  it(`covers at least 11–21 (supported: ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max})`, () => {
    assert.ok(SUPPORTED_OPSETS.min <= 11 && SUPPORTED_OPSETS.max >= 21);
  });

  for (let opset = SUPPORTED_OPSETS.min; opset <= SUPPORTED_OPSETS.max; opset++) {
    it(`opset ${opset} loads and runs`, async () => {
      const file = join(dir, `op${opset}.onnx`);
      saveModel(tiny(opset), file);
      const loaded = loadModel(file);
      const session = await openSession(encodeModel(loaded.proto));
      const out = await runSession(session, { x: { dtype: 'float32', dims: [1, 2], data: Float32Array.of(1, -1) } });
      await session.release();
      // x·W + x = [2, 1] → Relu → Softmax.
      const y = [...(Object.values(out)[0]!.data as Float32Array)];
      const e = Math.exp(1);
      assert.ok(Math.abs(y[0]! - e / (e + 1)) < 1e-6 && Math.abs(y[1]! - 1 / (e + 1)) < 1e-6, `got ${y}`);
    });
  }

  it(`opset ${SUPPORTED_OPSETS.max + 1} is refused by onnxruntime itself and by loadModel with a clear error`, async () => {
    const model = tiny(SUPPORTED_OPSETS.max + 1);
    await assert.rejects(openSession(encodeModel(model)), /ValidateOpsetForDomain|opset/i);
    const file = join(dir, 'too-new.onnx');
    saveModel(model, file);
    assert.throws(() => loadModel(file), (e: unknown) => e instanceof MoparError && /uses opset 27; mopar supports opsets 7–26/.test(e.message));
  });
});
