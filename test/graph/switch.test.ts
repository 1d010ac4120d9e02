/**
 * graph/switch.ts: one model holding a prefix and several heads runs exactly the head its selector picks, each
 * head's names kept apart, a weight several heads hold stored once; heads that cannot share a switch are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  create, encodeModel, ort, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, switchModel, tensorProto, valueInfoOf,
  type ModelProto, type TensorProto,
} from '../../src/graph/index.js';

const opset = [{ domain: '', version: 17n }];
const model = (name: string, nodes: Array<[string, string[], string[]]>, inputs: string[], outputs: string[], inits: TensorProto[] = []): ModelProto =>
  create(ModelProtoSchema, {
    irVersion: 8n, opsetImport: opset,
    graph: create(GraphProtoSchema, {
      name,
      node: nodes.map(([op, i, o], k) => create(NodeProtoSchema, { name: `${op}${k}`, opType: op, input: i, output: o })),
      initializer: inits,
      input: inputs.map((n) => valueInfoOf(n, 'float32', [2])),
      output: outputs.map((n) => valueInfoOf(n, 'float32', [2])),
    }),
  });

// prefix: y = relu(x); head k: out = (y * w) + b, with the same tensor names in every head (variants of one graph).
const prefix = model('p', [['Relu', ['x'], ['y']]], ['x'], ['y']);
const shared = tensorProto('b', 'float32', [2], Float32Array.from([10, 20]));
const head = (w: number[], b = shared) => model('h', [['Mul', ['y', 'w'], ['t']], ['Add', ['t', 'b'], ['out']]], ['y'], ['out'],
  [tensorProto('w', 'float32', [2], Float32Array.from(w)), b]);

test('the selector picks the head; names stay apart; a weight the heads share is stored once', async () => {
  const heads = [head([1, 1]), head([2, 3]), head([-1, 5])];
  const m = switchModel(prefix, heads, { selector: 'which' });
  const s = await ort.InferenceSession.create(encodeModel(m));
  try {
    assert.deepEqual(s.inputNames, ['x', 'which']);
    assert.deepEqual(s.outputNames, ['out']);
    const x = new ort.Tensor('float32', Float32Array.from([-4, 3]), [2]);
    const run = async (k: number) => Array.from((await s.run({ x, which: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), []) })).out!.data as Float32Array);
    // relu(x) = [0, 3]
    assert.deepEqual(await run(0), [10, 23]);
    assert.deepEqual(await run(1), [10, 29]);
    assert.deepEqual(await run(2), [10, 35]);
  } finally {
    await s.release();
  }
  // `b` (the same bytes in all three heads) once, in the main graph; each `w` in its own branch.
  const main = m.graph!;
  const all: TensorProto[] = [];
  const walk = (g: typeof main) => {
    all.push(...g.initializer);
    for (const n of g.node) for (const a of n.attribute) if (a.g) walk(a.g);
  };
  walk(main);
  const bytes = (t: TensorProto) => Array.from(t.rawData).join();
  assert.equal(all.filter((t) => bytes(t) === bytes(shared)).length, 1, 'the shared bias once');
  assert.equal(all.filter((t) => t.dims.length === 1 && t.rawData.byteLength === 8 && bytes(t) !== bytes(shared)).length, 3, 'one w per head');
});

test('heads that cannot share a switch are refused with the reason', () => {
  const other = model('h', [['Mul', ['y', 'w'], ['other']]], ['y'], ['other'], [tensorProto('w', 'float32', [2], Float32Array.from([1, 1]))]);
  assert.throws(() => switchModel(prefix, [head([1, 1]), other], { selector: 's' }), /head 1 produces \[other\], head 0 \[out\]/);
  const reads = model('h', [['Mul', ['z', 'w'], ['out']]], ['z'], ['out'], [tensorProto('w', 'float32', [2], Float32Array.from([1, 1]))]);
  assert.throws(() => switchModel(prefix, [head([1, 1]), reads], { selector: 's' }), /head 1 reads 'z', which the prefix does not produce/);
  assert.throws(() => switchModel(prefix, [head([1, 1])], { selector: 's' }), /at least two heads/);
  assert.throws(() => switchModel(prefix, [head([1, 1]), head([2, 2])], { selector: 'y' }), /selector 'y' is already a tensor/);
});
