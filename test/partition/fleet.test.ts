/**
 * Models that share weights share functions (issue 30): 4 variants of a tiny ResNet that differ only in the last
 * stage and the classifier, partitioned together. The shared prefix is cut where they diverge and stored once;
 * every variant, served side by side and verified, answers as its own unsplit model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../src/core/index.js';
import { allclose, decodeModel, saveModel, tensorByteSize, type ModelProto, type TensorProto } from '../../src/graph/index.js';
import { fleetManifest, loadFleet, partitionFleet, verifyPartition } from '../../src/partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { buildZooModel, modelVariant } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from '../runtime/helpers.js';

/** Variant v: the last stage's and the classifier's weights moved by seeded noise (v 0 keeps them). */
const variant = (base: ModelProto, v: number) => modelVariant(base, v);

/** Renames a tensor everywhere (names may differ between variants; content decides). */
function rename(m: ModelProto, from: string, to: string): void {
  const g = m.graph!;
  for (const n of g.node) {
    n.input = n.input.map((i) => (i === from ? to : i));
    n.output = n.output.map((o) => (o === from ? to : o));
  }
  for (const t of g.initializer) if (t.name === from) t.name = to;
}

const weightHash = (t: TensorProto) => sha256(t.rawData);

test('4 variants of a tiny ResNet: one shared prefix cut where they diverge, each weight stored once, served and verified as unsplit', async () => {
  const dir = tmpDir('fleet');
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
  try {
    const base = buildZooModel('resnet50', { tiny: true });
    const paths: string[] = [];
    const distinct = new Map<string, number>();
    for (let v = 0; v < 4; v++) {
      const m = variant(base, v);
      if (v === 3) {
        rename(m, 'conv1.conv.weight', 'stem.w');
        rename(m, 'layer2.0.Relu_22_out', 'mid');
        rename(m, 'layer3.0.Relu_33_out', 'cut');
      }
      for (const t of m.graph!.initializer) distinct.set(weightHash(t), tensorByteSize(t));
      const p = join(dir, `v${v}.onnx`);
      saveModel(m, p);
      paths.push(p);
    }
    const out = join(dir, 'fleet');
    const { fleet, manifests } = await partitionFleet(paths, out, {
      profiling: { runs: 1, cpuScaling: false, measureRss: false },
      plan: { platform: 'gcp-cloud-run' },
      layout: 'prefix',
    });

    // The cut: every node before layer4 is shared; each variant's own part starts at layer4's first conv.
    const firstOwn = base.graph!.node.findIndex((n) => n.name === 'layer4.0.Conv');
    assert.equal(fleet.cut.sharedNodes, firstOwn);
    for (const m of fleet.cut.models) assert.equal(m.divergence, 'layer4.0.Conv', m.name);
    assert.deepEqual(fleet.models.map((m) => m.name), ['v0', 'v1', 'v2', 'v3']);
    const shared = fleet.shared.filter((s) => s.models.length === 4);
    assert.equal(shared.length, 1, JSON.stringify(fleet.shared));
    for (const m of manifests) assert.ok(m.functions.some((f) => f.file === shared[0]!.file), `${m.model} references the shared file`);
    // v3 reads the shared prefix under v0's names.
    assert.ok(manifests[3]!.functions.some((f) => f.inputs.includes('layer3.0.Relu_33_out')));

    // Every distinct weight once: the folder's function files within 10% of the distinct weights' bytes.
    const files = readdirSync(out).filter((f) => /\.(onnx|data)$/.test(f));
    const written = files.reduce((s, f) => s + statSync(join(out, f)).size, 0);
    const weights = [...distinct.values()].reduce((a, b) => a + b, 0);
    assert.ok(written >= weights && written <= weights * 1.1, `written ${written} bytes, distinct weights ${weights}`);
    // Within each file: no dead initializer or Constant, no weight twice.
    for (const f of files.filter((x) => x.endsWith('.onnx'))) {
      const g = decodeModel(new Uint8Array(readFileSync(join(out, f)))).graph!;
      const read = new Set(g.node.flatMap((n) => n.input));
      for (const t of g.initializer) assert.ok(read.has(t.name), `${f}: initializer ${t.name} is read`);
      for (const n of g.node.filter((x) => x.opType === 'Constant')) assert.ok(n.output.some((o) => read.has(o) || g.output.some((x) => x.name === o)), `${f}: Constant ${n.name} is read`);
      const hashes = g.initializer.map(weightHash);
      assert.equal(new Set(hashes).size, hashes.length, `${f}: a weight stored twice`);
    }

    // verify --model: each variant's manifest against its own unsplit file (library and CLI).
    for (const [v, p] of paths.entries()) {
      const r = await verifyPartition(p, fleetManifest(out, `v${v}`), { runs: 1 });
      assert.ok(r.ok, `v${v}: max rel err ${r.maxRelErr}`);
    }
    const cli = spawnSync(process.execPath, ['bin/mopar.js', 'verify', paths[2]!, out, '--model', 'v2', '--runs', '1', '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { ok: boolean }).ok, true);
    const wrong = spawnSync(process.execPath, ['bin/mopar.js', 'verify', paths[1]!, out, '--model', 'v2', '--runs', '1'], { encoding: 'utf8' });
    assert.equal(wrong.status, 2, 'another model than the one named is refused');

    // serve: every model of the fleet, side by side with its unsplit file; answers allclose.
    for (const { name, path } of loadFleet(out).models) gw.addModel(path, name);
    paths.forEach((p, v) => gw.addModel(p, `v${v}-whole`));
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const meta = await modelMetadata(url, 'v0');
    const feeds = randomFeeds(meta, 7);
    const answers = [];
    for (let v = 0; v < 4; v++) {
      const [a, b] = await Promise.all([infer(url, `v${v}`, feeds), infer(url, `v${v}-whole`, feeds)]);
      for (const o of meta.outputs) {
        const c = allclose(a.outputs[o.name], b.outputs[o.name]);
        assert.ok(c.ok, `v${v} ${o.name}: ${JSON.stringify(c.worst)}`);
      }
      answers.push(a.outputs[meta.outputs[0]!.name]!.data as Float32Array);
    }
    // The variants do differ (their own weights are used, not v0's).
    assert.notDeepEqual(answers[0], answers[1]);
  } finally {
    await gw.close();
    cleanup(dir);
  }
});
