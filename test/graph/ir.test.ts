/** buildGraph: topological order, unique names, producers/consumers, subgraph outer-scope reads, odd outputs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MoparError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/random.js';
import { buildGraph, concreteShape, GraphBuilder, type Graph } from '../../src/graph/index.js';
import { FIXTURES, fixture } from '../fixtures/graphs.js';

function assertTopological(g: Graph): void {
  const seen = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of g.nodes) {
    for (const i of n.inputs) assert.ok(seen.has(i), `${n.name} reads ${i} before it exists`);
    for (const o of n.outputs) seen.add(o);
  }
  g.nodes.forEach((n, i) => assert.equal(n.index, i));
  assert.deepEqual(g.model.graph!.node.map((p) => p.name), g.nodes.map((n) => n.name), 'proto node list follows the IR');
}

describe('buildGraph', () => {
  for (const fx of FIXTURES) {
    it(`${fx.name}: order kept for a sorted file, restored for a shuffled one`, () => {
      const sorted = buildGraph(fx.build());
      const fileOrder = fx.build().graph!.node.map((n) => n.name);
      assert.deepEqual(sorted.nodes.map((n) => n.name), fileOrder, 'a sorted file keeps its order');
      assertTopological(sorted);
      const shuffled = fx.build();
      const rng = new Rng(fx.name.length);
      const nodes = shuffled.graph!.node;
      for (let i = nodes.length - 1; i > 0; i--) { const j = rng.int(0, i + 1); [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!]; }
      const g = buildGraph(shuffled);
      assertTopological(g);
      assert.deepEqual(g.nodes.map((n) => n.name).sort(), [...fileOrder].sort());
      // Producers and consumers agree with each other.
      for (const n of g.nodes) {
        for (const o of n.outputs) assert.equal(g.tensors.get(o)!.producer, n.name);
        for (const i of n.inputs) assert.ok(g.tensors.get(i)!.consumers.includes(n.name));
      }
    });
  }

  it('sorts a wide, shuffled 30 000-node graph (heap-based Kahn, not quadratic)', () => {
    const b = new GraphBuilder('wide');
    const x = b.input('x', 'float32', [1]);
    const leaves = Array.from({ length: 15_000 }, () => b.node('Neg', [x]));
    for (const l of leaves) b.node('Abs', [l]);
    const model = b.model(13);
    model.graph!.node.reverse();
    const g = buildGraph(model);
    assert.equal(g.nodes.length, 30_000);
    assertTopological(g);
  });

  it('gives nodes without a name, or with a duplicate one, unique generated names', () => {
    const b = new GraphBuilder('names');
    const x = b.input('x', 'float32', [1]);
    const a = b.node('Relu', [x]);
    const c = b.node('Neg', [a]);
    b.node('Abs', [c]);
    const model = b.model(13);
    const [n0, n1, n2] = model.graph!.node;
    n0!.name = '';
    n1!.name = 'dup';
    n2!.name = 'dup';
    const g = buildGraph(model);
    const names = g.nodes.map((n) => n.name);
    assert.equal(new Set(names).size, 3);
    assert.ok(names.every((n) => n !== ''));
    assert.equal(names[1], 'dup');
  });

  it('makes outer-scope reads of If/Loop/Scan bodies inputs of the node, nested bodies included', () => {
    const g = buildGraph(fixture('loop-scan').build());
    const loop = g.nodes.find((n) => n.op === 'Loop')!;
    const sigmoid = g.nodes.find((n) => n.op === 'Sigmoid')!;
    assert.ok(loop.inputs.includes(sigmoid.outputs[0]!));
    assert.ok(loop.inputs.some((i) => i.startsWith('step')));
    assert.ok(g.tensors.get(sigmoid.outputs[0]!)!.consumers.includes(loop.name));
    // An If nested inside a Loop body, reading a main-graph tensor: the Loop depends on it.
    const outer = new GraphBuilder('nested');
    const x = outer.input('x', 'float32', [2]);
    const far = outer.node('Neg', [x]);
    const thenB = new GraphBuilder('then', 't_');
    thenB.output(thenB.node('Identity', [far]), 'float32', [2]);
    const elseB = new GraphBuilder('else', 'e_');
    elseB.output(elseB.node('Abs', [far]), 'float32', [2]);
    const body = new GraphBuilder('body', 'b_');
    body.input('i', 'int64', []);
    const cond = body.input('c', 'bool', []);
    const acc = body.input('acc', 'float32', [2]);
    const picked = body.node('If', [cond], { then_branch: thenB.graph(), else_branch: elseB.graph() });
    body.output(body.node('Identity', [cond]), 'bool', []);
    body.output(body.node('Add', [acc, picked]), 'float32', [2]);
    const trip = outer.init('trip', 'int64', [], BigInt64Array.of(2n));
    const keep = outer.init('keep', 'bool', [], Uint8Array.of(1));
    const y = outer.node('Loop', [trip, keep, x], { body: body.graph() });
    outer.output(y, 'float32', [2]);
    const model = outer.model(13);
    model.graph!.node.reverse(); // the Loop comes first in the file
    const ng = buildGraph(model);
    assert.deepEqual(ng.nodes.map((n) => n.op), ['Neg', 'Loop']);
    assert.ok(ng.nodes[1]!.inputs.includes(far));
  });

  it('indexes outputs that are graph inputs, initializers or Constant tensors, and dead nodes', () => {
    const g = buildGraph(fixture('odd-outputs').build());
    assert.equal(g.tensors.get('x')!.kind, 'input');
    assert.equal(g.tensors.get('table')!.kind, 'initializer');
    assert.equal(g.tensors.get('k_const')!.kind, 'constant');
    for (const o of ['x', 'table', 'k_const']) assert.ok(g.tensors.get(o)!.isGraphOutput);
    const dead = g.nodeByName.get('dead_exp')!;
    assert.deepEqual(g.tensors.get(dead.outputs[0]!)!.consumers, []);
  });

  it('reports cycles, dangling reads, missing outputs and unknown shapes as MoparErrors', () => {
    const b = new GraphBuilder('cycle');
    const x = b.input('x', 'float32', [1]);
    const a = b.node('Add', [x, 'loop_back']);
    b.nodeN('Neg', [a], {}, 1, { outputNames: ['loop_back'] });
    b.output('loop_back', 'float32', [1]);
    assert.throws(() => buildGraph(b.model(13)), (e: unknown) => e instanceof MoparError && /cycle/.test(e.message));
    const m = fixture('conv-chain').build();
    m.graph!.output[0]!.name = 'ghost';
    assert.throws(() => buildGraph(m), (e: unknown) => e instanceof MoparError && /graph output 'ghost' is produced by no node/.test(e.message));
    const g = buildGraph(fixture('symbolic-seq').build());
    assert.throws(() => concreteShape(g, 'input_ids'), (e: unknown) => e instanceof MoparError && /input_ids/.test(e.message));
  });
});
