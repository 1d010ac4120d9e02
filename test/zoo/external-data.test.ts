/**
 * A model whose weights live in ONNX external data, through every stage: the tiny production-scale DLRM
 * (dlrm-criteo, always written with `<file>.data`) is inspected, profiled, planned, built (each slice carries only
 * its own weights, in its own content-addressed data file), verified, served, and deployed (packages ship and
 * count the data files); the manifest reader checks the data files' sha256 and confinement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectGraph, buildGraph, loadModel, openSession, runSession, randomInputs, openModel, allclose } from '../../src/graph/index.js';
import { loadManifest, partitionModel, verifyPartition } from '../../src/partition/index.js';
import { deploy } from '../../src/deploy/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { writeZooModel, countZooParams } from '../../src/zoo/index.js';
import { CRITEO_CARDINALITIES } from '../../src/zoo/models/dlrm.js';

test('dlrm-criteo tiny: external data through inspect, profile, plan, build, verify, serve and deploy', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-ext-'));
  try {
    const model = join(dir, 'dlrm.onnx');
    const w = writeZooModel('dlrm-criteo', model, { tiny: true });
    assert.equal(w.dataFile, `${model}.data`);
    const onnxBytes = statSync(model).size;
    const dataBytes = statSync(w.dataFile!).size;
    // The 26 tables (64 × 4 floats = 1 KiB each) and MLP weights are in the data file, not in the .onnx.
    assert.ok(dataBytes >= 26 * 1024, `data file ${dataBytes} B`);
    assert.ok(onnxBytes < dataBytes / 4, `.onnx ${onnxBytes} B holds no weights`);
    assert.equal(w.bytes, onnxBytes + dataBytes);

    const loaded = loadModel(model);
    assert.equal(loaded.hadExternalData, true);
    const facts = inspectGraph(buildGraph(loaded.proto));
    assert.equal(facts.params, countZooParams('dlrm-criteo', true), 'inspect counts the external weights');

    const out = join(dir, 'built');
    // layerwise: many slices, so some hold tables and some hold nothing but activations.
    const { manifest } = await partitionModel(model, {
      profiling: { runs: 1, warmup: 0, cpuScaling: false, measureRss: false },
      plan: { platform: 'gcp-cloud-run', strategy: 'layerwise', allowSloMiss: true }, outDir: out,
    });
    const withData = manifest!.functions.filter((f) => f.data);
    assert.ok(withData.length >= 2, `slices holding weights have data files (${withData.length})`);
    assert.ok(manifest!.functions.some((f) => !f.data), 'slices without weights have no data file');
    const tables = new Set<string>();
    for (const f of withData) {
      assert.ok(existsSync(join(out, f.data!.file)));
      assert.equal(statSync(join(out, f.data!.file)).size, f.data!.bytes);
      // Only its own weights: a slice's data is far smaller than the model's.
      assert.ok(f.data!.bytes < dataBytes / 4, `${f.name}: ${f.data!.bytes} B of ${dataBytes}`);
      const slice = loadModel(join(out, f.file));
      assert.equal(slice.hadExternalData, true, `${f.name} keeps its weights outside the .onnx`);
      for (const t of slice.proto.graph!.initializer) if (t.name.startsWith('emb_')) tables.add(t.name);
    }
    // Tables of at least 1 KiB (64 rows × 4 floats; fewer rows where the feature has fewer values) go external.
    assert.equal(tables.size, CRITEO_CARDINALITIES.filter((c) => c >= 64).length, 'the 1 KiB tables are spread over the slices\' data files');
    const unique = new Map(withData.map((f) => [f.data!.file, f.data!.bytes]));
    assert.ok(manifest!.filesBytes! > [...unique.values()].reduce((a, b) => a + b, 0), 'filesBytes counts the data files');

    const v = await verifyPartition(model, out, { runs: 2, seed: 5 });
    assert.ok(v.ok, `verify: maxRelErr ${v.maxRelErr}`);

    // Served: the gateway's answer equals onnxruntime on the unsplit model (which reads the data file itself).
    const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: false });
    try {
      const name = gw.addModel(out, 'dlrm');
      const addr = await gw.listen(0);
      const url = `http://127.0.0.1:${addr.port}`;
      const feeds = randomFeeds(await modelMetadata(url, name), 3);
      const res = await infer(url, name, feeds);
      assert.equal(res.status, 200);
      const ref = await openSession(model);
      try {
        const want = (await runSession(ref, feeds)).probability;
        const c = allclose(res.outputs.probability, want);
        assert.ok(c.ok, `served output equals the unsplit model (${c.mismatch ?? c.maxRelErr})`);
      } finally {
        await ref.release();
      }
    } finally {
      await gw.close();
    }

    // Deployed: every slice package ships its data file next to model.onnx, and package bytes count it.
    const dep = await deploy(out, join(dir, 'lambda'), { target: 'lambda' });
    for (const f of withData) {
      const fn = dep.functions.find((d) => d.function === f.name)!;
      assert.ok(dep.files.some((p) => p.endsWith(`/${fn.name}/${f.data!.file}`)), `${f.name}'s package has its data file`);
      assert.ok((fn.packageBytes ?? 0) >= f.data!.bytes, `${f.name}: package bytes ${fn.packageBytes} count the data`);
    }

    // The manifest reader: a changed data file and a data file outside the folder are refused.
    const f0 = withData[0]!;
    const dataPath = join(out, f0.data!.file);
    const saved = readFileSync(dataPath);
    writeFileSync(dataPath, Buffer.concat([saved.subarray(0, saved.length - 1), Buffer.of(saved[saved.length - 1]! ^ 1)]));
    assert.throws(() => loadManifest(out), /data file .* does not match its sha256/);
    writeFileSync(dataPath, saved);
    const mf = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const original = JSON.stringify(mf);
    mf.functions.find((x: { name: string }) => x.name === f0.name).data.file = `../${f0.data!.file}`;
    copyFileSync(dataPath, join(dir, f0.data!.file));
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(mf));
    assert.throws(() => loadManifest(out), /inside the manifest's folder/);
    writeFileSync(join(out, 'manifest.json'), original);
    assert.doesNotThrow(() => loadManifest(out));
    // The random inputs of the unsplit graph index inside each (tiny) table.
    const { graph, inputShapes } = await openModel(model);
    assert.equal(Object.keys(randomInputs(graph, inputShapes, 1)).length, 27);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
