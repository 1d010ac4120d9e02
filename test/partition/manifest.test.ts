/** The one manifest reader: schema errors name the field; files stay in the folder and match their sha256. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, sha256File } from '../../src/core/index.js';
import { ModelProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation, create, fromBinary, toBinary } from '../../src/graph/index.js';
import { loadManifest, type Manifest } from '../../src/partition/index.js';
import { loadServable } from '../../src/runtime/index.js';
import { readManifestForDeploy } from '../../src/deploy/index.js';
import { runCli } from '../cli/run-cli.js';
import { cleanup, tmpDir, writeToyManifest } from '../runtime/helpers.js';
import { CONSTANTS, buildWithConstants } from '../fixtures/dataflow-cases.js';

const root = tmpDir('manifest');
after(() => cleanup(root));
const toy = writeToyManifest(root);
let n = 0;

/** A copy of the toy partition with its manifest changed by `edit`. */
async function variant(edit: (m: Manifest & Record<string, unknown>) => void): Promise<string> {
  const { dir } = await toy;
  const copy = join(root, `v${n++}`);
  cpSync(dir, copy, { recursive: true });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as Manifest & Record<string, unknown>;
  edit(m);
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
  return copy;
}

/** Every reader (verify's, serve's, deploy's) rejects the same way: a MoparError matching `re`. */
function rejectedByAll(dir: string, re: RegExp): void {
  for (const read of [() => loadManifest(dir), () => loadServable(dir), () => readManifestForDeploy(dir)]) {
    assert.throws(read, (e: unknown) => e instanceof MoparError && re.test(e.message), String(re));
  }
}

test('a good manifest loads with its files resolved inside the folder', async () => {
  const { dir } = await toy;
  const { manifest, paths } = loadManifest(dir);
  assert.equal(manifest.functions.length, 4);
  for (const f of manifest.functions) assert.equal(paths.get(f.name), join(dir, f.file));
});

test('a manifest with only the minimum fields of the contract loads, the rest defaulted', async () => {
  const keep = ['name', 'file', 'sha256', 'inputs', 'outputs', 'group', 'memoryMB', 'vcpu'];
  const dir = await variant((m) => {
    for (const k of ['version', 'modelHash', 'platform', 'strategy', 'edges']) delete m[k];
    m.functions = m.functions.map((f) => Object.fromEntries(Object.entries(f).filter(([k]) => keep.includes(k)))) as never;
  });
  const { manifest } = loadManifest(dir);
  assert.deepEqual(manifest.edges, []);
  assert.deepEqual(manifest.functions.map((f) => [f.threads, f.weightsBytes, f.predictedMs]), [[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]]);
});

test('wrong types and out-of-range numbers name the field', async () => {
  rejectedByAll(await variant((m) => { (m.functions as unknown[])[1] = null; }), /functions\[1\] must be an object/);
  rejectedByAll(await variant((m) => { (m.functions[0] as unknown as Record<string, unknown>).memoryMB = 'abc'; }), /functions\[0\]\.memoryMB must be a number/);
  rejectedByAll(await variant((m) => { m.functions[0]!.vcpu = -3; }), /functions\[0\]\.vcpu must be > 0/);
  rejectedByAll(await variant((m) => { m.functions[2]!.threads = 0; }), /functions\[2\]\.threads must be >= 1/);
  rejectedByAll(await variant((m) => { m.functions[0]!.threads = 1.5; }), /functions\[0\]\.threads must be an integer/);
  rejectedByAll(await variant((m) => { delete (m.functions[0] as Partial<Manifest['functions'][0]>).sha256; }), /functions\[0\]\.sha256 is missing/);
  rejectedByAll(await variant((m) => { m.functions[0]!.inputs = 'x' as never; }), /functions\[0\]\.inputs must be an array/);
  rejectedByAll(await variant((m) => { m.edges[0]!.transport = 'pigeon' as never; }), /edges\[0\]\.transport must be one of/);
  rejectedByAll(await variant((m) => { m.functions = []; }), /functions must NOT have fewer than 1 items/);
});

test('function files are confined to the folder: no absolute path, no .., no link leading out', async () => {
  rejectedByAll(await variant((m) => { m.functions[0]!.file = '../../../../../../etc/passwd'; }), /functions\[0\] \('head'\)\.file must be a path inside the manifest's folder/);
  rejectedByAll(await variant((m) => { m.functions[0]!.file = '/etc/passwd'; }), /must be a path inside the manifest's folder/);
  rejectedByAll(await variant((m) => { m.functions[0]!.file = 'sub/../../x.onnx'; }), /must be a path inside the manifest's folder/);
  const linked = await variant((m) => { m.functions[0]!.file = 'escape.onnx'; });
  symlinkSync((await toy).model, join(linked, 'escape.onnx'));
  rejectedByAll(linked, /functions\[0\] \('head'\)\.file is a link leading outside the manifest's folder/);
});

/** A copy of the toy partition whose 'head' file keeps tensor w1's data "outside": external data at `location`. */
async function externalVariant(location: string): Promise<string> {
  const dir = await variant(() => {});
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const f = m.functions[0]!;
  const proto = fromBinary(ModelProtoSchema, readFileSync(join(dir, f.file)));
  const w = proto.graph!.initializer.find((t) => t.name === 'w1')!;
  w.externalData = [['location', location], ['offset', '0'], ['length', String(w.rawData.length)]].map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
  w.dataLocation = TensorProto_DataLocation.EXTERNAL;
  w.rawData = new Uint8Array(0);
  writeFileSync(join(dir, f.file), toBinary(ModelProtoSchema, proto));
  f.sha256 = sha256File(join(dir, f.file));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

test('external data named inside function files is confined like the files: no absolute path, no .., no link out', async () => {
  const named = (loc: string) => new RegExp(`function 'head' tensor 'w1' external data location ${JSON.stringify(loc).replace(/[.*/]/g, '\\$&')}`);
  rejectedByAll(await externalVariant('../../../etc/passwd'), new RegExp(`${named('../../../etc/passwd').source} must be a path inside the manifest's folder`));
  rejectedByAll(await externalVariant('/etc/passwd'), new RegExp(`${named('/etc/passwd').source} must be a path inside the manifest's folder`));
  const linked = await externalVariant('w1.bin');
  symlinkSync('/etc/passwd', join(linked, 'w1.bin'));
  rejectedByAll(linked, new RegExp(`${named('w1.bin').source} is a link leading outside the manifest's folder`));
  rejectedByAll(await externalVariant('absent.bin'), new RegExp(`${named('absent.bin').source} is missing`));
  // Inside the folder: accepted (onnxruntime reads it from there).
  const inside = await externalVariant('w1.bin');
  writeFileSync(join(inside, 'w1.bin'), Buffer.alloc(16 * 32 * 4));
  assert.equal(loadManifest(inside).manifest.functions.length, 4);
});

test('sha256 is checked on load: a changed function file is refused', async () => {
  const { manifest } = await toy;
  const changed = await variant(() => {});
  const f = manifest.functions[3]!;
  writeFileSync(join(changed, f.file), Buffer.concat([readFileSync(join(changed, f.file)), Buffer.from([0])]));
  rejectedByAll(changed, new RegExp(`function '${f.name}' file ${f.file} does not match its sha256`));
});

test('dataflow: names unique, each tensor produced once, every input produced, no cycle', async () => {
  rejectedByAll(await variant((m) => { m.functions[1]!.name = 'head'; }), /function name 'head' appears twice/);
  rejectedByAll(await variant((m) => { m.functions[2]!.outputs = m.functions[1]!.outputs; }), /produced by both 'left' and 'right'/);
  rejectedByAll(await variant((m) => { m.functions[3]!.inputs = ['nowhere']; }), /function 'tail' reads 'nowhere', which no function produces/);
  rejectedByAll(await variant((m) => { m.outputs = ['ghost']; }), /model output 'ghost' is produced by no function/);
  rejectedByAll(await variant((m) => { m.functions[0]!.inputs = [...m.functions[0]!.inputs, m.functions[3]!.outputs[0]!]; }), /depend on each other in a cycle/);
});

test('CLI: verify and deploy refuse a manifest pointing outside its folder (exit 2, one line)', async () => {
  const bad = await variant((m) => { m.functions[0]!.file = '../../../../../../etc/passwd'; });
  for (const args of [['verify', (await toy).model, bad], ['deploy', bad, '--target', 'lambda', '-o', join(root, 'out')]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^mopar: error: .*must be a path inside the manifest's folder/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('CLI: deploy refuses a function file whose external data points outside (exit 2, one line, nothing written)', async () => {
  const bad = await externalVariant('../../../etc/passwd');
  const out = join(root, 'out-ext');
  const r = await runCli(['deploy', bad, '--target', 'openfaas', '-o', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^mopar: error: .*function 'head' tensor 'w1' external data location "\.\.\/\.\.\/\.\.\/etc\/passwd" must be a path inside/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(out), false);
});

const withConstants = buildWithConstants(join(root, 'constants-model'));

/** A copy of the partition with constants (k float32 [1,8], v int64 scalar), its manifest changed by `edit`. */
async function constantsVariant(edit: (m: Manifest & Record<string, unknown>) => void): Promise<string> {
  const { part } = await withConstants;
  const copy = join(root, `c${n++}`);
  cpSync(part, copy, { recursive: true });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as Manifest & Record<string, unknown>;
  edit(m);
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
  return copy;
}

test('constants: a function may read one; the reader adds its dtype and shape to tensors', async () => {
  const { manifest } = loadManifest((await withConstants).part);
  assert.deepEqual(manifest.constants, CONSTANTS);
  assert.deepEqual(manifest.inputs, ['x']);
  assert.deepEqual([manifest.tensors.k, manifest.tensors.v], [{ dtype: 'float32', shape: [1, 8] }, { dtype: 'int64', shape: [] }]);
  // Without them the same functions read tensors nothing gives.
  rejectedByAll(await constantsVariant((m) => { delete m.constants; }), /function 'f1' reads 'k', which no function produces/);
});

test('constants: every reader refuses a malformed one, naming the manifest and the constant', async () => {
  const k = CONSTANTS.k!;
  const c = (edit: (cs: NonNullable<Manifest['constants']>) => void) => constantsVariant((m) => { m.constants = structuredClone(CONSTANTS); edit(m.constants); });
  rejectedByAll(await c((cs) => { cs.k = { ...k, data: k.data.slice(1) }; }), /manifest\.json: constant 'k': 7 values do not fill shape \[1, 8\] \(8 needed\)/);
  rejectedByAll(await c((cs) => { cs.x = { dtype: 'float32', shape: [1, 8], data: k.data }; }), /constant 'x' is also a model input/);
  rejectedByAll(await c((cs) => { cs.a = { dtype: 'float32', shape: [1, 8], data: k.data }; }), /constant 'a' is also an output of function 'f1'/);
  rejectedByAll(await c((cs) => { cs.v!.data = [2 ** 53]; }), /constant 'v': data\[0\] = 9007199254740992 is not an integer in \[-9007199254740991, 9007199254740991\]/);
  rejectedByAll(await c((cs) => { cs.v!.data = [1.5]; }), /constant 'v': data\[0\] = 1.5 is not an integer/);
  rejectedByAll(await c((cs) => { cs.v = { dtype: 'int32', shape: [], data: [2 ** 31] }; }), /constant 'v': data\[0\] = 2147483648 is not an integer in \[-2147483648, 2147483647\]/);
  rejectedByAll(await c((cs) => { cs.v = { dtype: 'bool', shape: [], data: [2] }; }), /constant 'v': data\[0\] = 2 is not 0 or 1/);
  rejectedByAll(await c((cs) => { cs.k = { ...k, dtype: 'float16' }; }), /constant 'k' has dtype float16, which a constant cannot have/);
  rejectedByAll(await constantsVariant((m) => { m.tensors.k = { dtype: 'float32', shape: [8] }; }), /constant 'k' is float32\[1, 8\] but tensors\['k'\] says float32\[8\]/);
  // The schema's part: types, and nothing but dtype, shape and data.
  rejectedByAll(await c((cs) => { cs.k!.data[0] = 'one' as never; }), /constants\.k\.data\[0\] must be a number/);
  rejectedByAll(await c((cs) => { delete (cs.k as Partial<typeof k>).shape; }), /constants\.k\.shape is missing/);
  rejectedByAll(await c((cs) => { (cs.k as Record<string, unknown>).values = []; }), /constants\.k: unknown field 'values'/);
});
