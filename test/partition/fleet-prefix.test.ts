/**
 * The common prefix of several graphs (graph/common-prefix.ts) on GraphBuilder graphs: matched by content with
 * other names, a tied weight (one initializer read twice) stored once in the shared file, a Constant matched by
 * its bytes; and graphs that share nothing are each partitioned whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.js';
import { commonPrefix, GraphBuilder, openModel, saveModel, tensorProto } from '../../src/graph/index.js';
import { fleetManifest, partitionFleet, verifyPartition } from '../../src/partition/index.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

const D = 64;
const values = (seed: number, n: number) => { const r = new Rng(seed); return Float32Array.from({ length: n }, () => r.uniform(-0.2, 0.2)); };

/** x → MatMul(W) → Relu → Mul(Constant 0.5) → MatMul(W again: tied) → Relu → MatMul(H) → Mul(the Constant) → y. */
function write(dir: string, file: string, opts: { prefix: string; head: number; first?: number }): string {
  const b = new GraphBuilder(file, opts.prefix);
  const x = b.input('x', 'float32', [1, D]);
  const w = b.init('w', 'float32', [D, D], values(opts.first ?? 1, D * D));
  let t = b.node('Relu', [b.node('MatMul', [x, w], {}, { name: 'mm1' })], {}, { name: 'relu1' });
  const half = b.node('Constant', [], { value: tensorProto('half', 'float32', [], Float32Array.of(0.5)) }, { name: 'half' });
  t = b.node('Mul', [t, half], {}, { name: 'scale' });
  t = b.node('Relu', [b.node('MatMul', [t, w], {}, { name: 'mm2' })], {}, { name: 'relu2' });
  const h = b.init('h', 'float32', [D, 10], values(opts.head, D * 10));
  // The remainder reads the prefix's Constant too (copied in under its own name, not the first model's).
  b.output(b.node('Mul', [b.node('MatMul', [t, h], {}, { name: 'head' }), half], {}, { name: 'out', outputNames: ['y'] }), 'float32', [1, 10]);
  const path = join(dir, `${file}.onnx`);
  saveModel(b.model(17), path);
  return path;
}

const profiling = { runs: 1, cpuScaling: false, measureRss: false };
const folderBytes = (dir: string) => readdirSync(dir).filter((f) => /\.(onnx|data)$/.test(f)).reduce((s, f) => s + statSync(join(dir, f)).size, 0);

test('common prefix by content: other names, a Constant, a tied weight stored once', async () => {
  const dir = tmpDir('fleet-prefix');
  try {
    const a = write(dir, 'a', { prefix: '', head: 2 });
    const b = write(dir, 'b', { prefix: 'other_', head: 3 });
    const graphs = await Promise.all([a, b].map(async (p) => (await openModel(p)).graph));
    const p = commonPrefix(graphs);
    const computing = (nodes: string[]) => nodes.filter((n) => !graphs[0]!.nodeByName.get(n)?.isConstant);
    assert.ok(computing(p.nodes[0]!).length >= 5, `prefix ${p.nodes[0]!.join(', ')}`);
    assert.deepEqual(p.divergence, ['head', 'other_head']);
    assert.ok([...p.rename[1]!.values()].includes('relu2_out'), 'b reads the prefix under a\'s names');

    const out = join(dir, 'fleet');
    const { fleet } = await partitionFleet([a, b], out, { profiling, plan: { platform: 'gcp-cloud-run' }, layout: 'prefix' });
    assert.equal(fleet.shared.length, 1);
    // W (16 KiB, read twice) once, plus two heads of 2.5 KiB: within 10% (the protobuf framing and graphs).
    const weights = (D * D + 2 * D * 10) * 4;
    const written = folderBytes(out);
    assert.ok(written <= weights * 1.1, `written ${written} bytes for ${weights} bytes of distinct weights`);
    assert.ok(statSync(join(out, fleet.shared[0]!.file)).size < D * D * 4 * 1.1, 'the tied weight is stored once in the shared file');
    for (const [k, path] of [a, b].entries()) {
      const r = await verifyPartition(path, fleetManifest(out, k ? 'b' : 'a'), { runs: 1 });
      assert.ok(r.ok, `${path}: max rel err ${r.maxRelErr}`);
    }
  } finally {
    cleanup(dir);
  }
});

test('models that share nothing: no shared file, each partitioned whole and verified', async () => {
  const dir = tmpDir('fleet-none');
  try {
    const a = write(dir, 'a', { prefix: '', head: 2, first: 1 });
    const b = write(dir, 'b', { prefix: '', head: 3, first: 9 });
    const out = join(dir, 'fleet');
    const { fleet } = await partitionFleet([a, b], out, { profiling, plan: { platform: 'gcp-cloud-run' }, layout: 'prefix' });
    assert.equal(fleet.cut.sharedNodes, 0);
    assert.deepEqual(fleet.shared, []);
    for (const [k, path] of [a, b].entries()) {
      const r = await verifyPartition(path, fleetManifest(out, k ? 'b' : 'a'), { runs: 1 });
      assert.ok(r.ok, `${path}: max rel err ${r.maxRelErr}`);
    }
  } finally {
    cleanup(dir);
  }
});
