/**
 * The `switch` layout of a fleet (issue 30, the default): 3 variants of a tiny ResNet that differ in the last
 * stage and the classifier become ONE function file holding the shared prefix and every variant's own part;
 * each variant's manifest runs it with its constant selector. Every distinct weight once; each variant verified
 * and served (one pool, one instance for all) answers as its own unsplit model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/core/index.js';
import { allclose, decodeModel, saveModel, tensorByteSize, type GraphProto, type TensorProto } from '../../src/graph/index.js';
import { FLEET_SELECTOR, fleetManifest, loadFleet, partitionFleet, verifyPartition } from '../../src/partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { buildZooModel, modelVariant } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

test('3 variants of a tiny ResNet in one switch function: each weight once, verified and served as each unsplit variant, one instance for all', async () => {
  const dir = tmpDir('fleet-switch');
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const base = buildZooModel('resnet50', { tiny: true });
    const paths: string[] = [];
    const distinct = new Map<string, number>();
    for (let v = 0; v < 3; v++) {
      const m = modelVariant(base, v);
      for (const t of m.graph!.initializer) distinct.set(sha256(t.rawData), tensorByteSize(t));
      const p = join(dir, `v${v}.onnx`);
      saveModel(m, p);
      paths.push(p);
    }
    const out = join(dir, 'fleet');
    const { fleet, manifests } = await partitionFleet(paths, out, { profiling: { runs: 1, cpuScaling: false, measureRss: false }, plan: { platform: 'gcp-cloud-run' } });
    assert.equal(fleet.layout, 'switch');
    assert.equal(fleet.cut.sharedNodes, base.graph!.node.findIndex((n) => n.name === 'layer4.0.Conv'));
    const files = readdirSync(out).filter((f) => f.endsWith('.onnx'));
    assert.equal(files.length, 1, 'one function file');
    assert.deepEqual(fleet.shared, [{ file: files[0], models: ['v0', 'v1', 'v2'] }]);
    manifests.forEach((m, v) => {
      assert.equal(m.functions.length, 1);
      assert.equal(m.functions[0]!.file, files[0]);
      assert.deepEqual(m.constants, { [FLEET_SELECTOR]: { dtype: 'int64', shape: [], data: [v] } });
      assert.deepEqual(m.functions[0]!.inputs, [...m.inputs, FLEET_SELECTOR]);
    });
    // Sized for every part's weights at once.
    assert.ok(manifests[0]!.functions[0]!.memoryMB * 2 ** 20 > manifests[0]!.functions[0]!.weightsBytes);

    // Every distinct weight once (within 10 %), and within the file no weight twice, none unread.
    const written = statSync(join(out, files[0]!)).size;
    const weights = [...distinct.values()].reduce((a, b) => a + b, 0);
    assert.ok(written >= weights && written <= weights * 1.1, `written ${written} bytes, distinct weights ${weights}`);
    const inits: TensorProto[] = [];
    const read = new Set<string>();
    const walk = (g: GraphProto) => {
      inits.push(...g.initializer);
      for (const n of g.node) {
        for (const i of n.input) read.add(i);
        for (const a of n.attribute) if (a.g) walk(a.g);
      }
    };
    walk(decodeModel(new Uint8Array(readFileSync(join(out, files[0]!)))).graph!);
    const hashes = inits.filter((t) => t.rawData.byteLength > 64).map((t) => sha256(t.rawData));
    assert.equal(new Set(hashes).size, hashes.length, 'a weight stored twice');
    for (const t of inits) assert.ok(read.has(t.name), `initializer ${t.name} is read`);

    // verify --model: each variant's manifest (its selector a manifest constant) against its own unsplit file.
    for (const [v, p] of paths.entries()) {
      const r = await verifyPartition(p, fleetManifest(out, `v${v}`), { runs: 1 });
      assert.ok(r.ok, `v${v}: max rel err ${r.maxRelErr}`);
    }

    // serve: every variant beside its unsplit file; answers allclose; the variants differ; one pool, one instance.
    for (const { name, path } of loadFleet(out).models) gw.addModel(path, name);
    paths.forEach((p, v) => gw.addModel(p, `v${v}-whole`));
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const meta = await modelMetadata(url, 'v0');
    assert.deepEqual(meta.inputs.map((i) => i.name), manifests[0]!.inputs, 'the selector is not a client input');
    const feeds = randomFeeds(meta, 7);
    const answers = [];
    for (let v = 0; v < 3; v++) {
      const a = await infer(url, `v${v}`, feeds);
      const b = await infer(url, `v${v}-whole`, feeds);
      for (const o of meta.outputs) {
        const c = allclose(a.outputs[o.name], b.outputs[o.name]);
        assert.ok(c.ok, `v${v} ${o.name}: ${JSON.stringify(c.worst)}`);
      }
      answers.push(a.outputs[meta.outputs[0]!.name]!.data as Float32Array);
    }
    assert.notDeepEqual(answers[0], answers[1]);
    assert.notDeepEqual(answers[1], answers[2]);
    const pools = new Set(['v0', 'v1', 'v2'].map((m) => gw.models.get(m)!.pools.get(manifests[0]!.functions[0]!.name)));
    assert.equal(pools.size, 1, 'one pool for the three variants');
    assert.equal([...pools][0]!.instances.filter((i) => !i.dead).length, 1, 'one instance served all three, one after another');
  } finally {
    await gw.close();
    cleanup(dir);
  }
});
