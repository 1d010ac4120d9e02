/** The validation layer: schema errors name the file and the field; plan and profile files go through it. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { MAX_JSON_FILE_BYTES, MoparError, readJsonFile, schemaDir, validate } from '../../src/core/index.js';
import { loadManifest, readPlan } from '../../src/partition/index.js';
import { runCli } from '../cli/run-cli.js';
import { loadProfile } from '../../src/profile/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mopar-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mopar = (re: RegExp) => (e: unknown) => e instanceof MoparError && re.test(e.message);

test('every published schema compiles with the options validate() uses', () => {
  const files = readdirSync(schemaDir()).filter((f) => f.endsWith('.schema.json'));
  for (const name of ['manifest', 'plan', 'profile']) assert.ok(files.includes(`${name}.schema.json`), name);
  for (const f of files) new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(join(schemaDir(), f), 'utf8')) as object);
});

test('errors name the file and the field, in the words a user reads', () => {
  const plan = { kind: 'mopar.plan', functions: [{ name: 'a', memoryMB: 512, vcpu: 1, nodes: ['n'] }] };
  assert.equal(validate('plan', plan, 'p.json'), plan);
  const bad = (fn: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => validate('plan', { ...plan, functions: [{ ...plan.functions[0], ...fn }] }, 'p.json'), mopar(re));
  bad({ memoryMB: 'abc' }, /^p\.json: functions\[0\]\.memoryMB must be a number$/);
  bad({ vcpu: -3 }, /^p\.json: functions\[0\]\.vcpu must be > 0$/);
  bad({ memoryMB: 0 }, /^p\.json: functions\[0\]\.memoryMB must be >= 1$/);
  bad({ nodes: [] }, /functions\[0\]\.nodes must NOT have fewer than 1 items/);
  bad({ split: { kind: 'diagonal', index: 0, parts: 2 } }, /functions\[0\]\.split\.kind must be one of "channel", "spatial", "heads", "sequence"/);
  assert.throws(() => validate('plan', { kind: 'mopar.plan', functions: [null] }, 'p.json'), mopar(/functions\[0\] must be an object/));
  assert.throws(() => validate('plan', { kind: 'mopar.plan' }, 'p.json'), mopar(/^p\.json: functions is missing$/));
  assert.throws(() => validate('plan', [], 'p.json'), mopar(/^p\.json: the file must be an object$/));
  assert.throws(() => validate('nope', {}, 'x'), /no JSON schema 'nope'/);
});

test('readJsonFile: a missing file and bad JSON are one clear line', () => {
  assert.throws(() => readJsonFile(join(dir, 'none.json'), 'plan file'), mopar(/^plan file not found: /));
  writeFileSync(join(dir, 'broken.json'), '{');
  assert.throws(() => readJsonFile(join(dir, 'broken.json'), 'plan file'), mopar(/^plan file .*broken\.json is not valid JSON/));
});

test('plan and profile files are checked against their schemas on read', () => {
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ kind: 'mopar.plan', functions: [{ name: 'a', memoryMB: 'abc', vcpu: 1, nodes: ['n'] }] }));
  assert.throws(() => readPlan(plan), mopar(/plan\.json: functions\[0\]\.memoryMB must be a number/));
  const profile = join(dir, 'profile.json');
  const base = { kind: 'mopar.profile', version: 4, modelHash: 'h', nodes: [], opShare: {}, rdOps: [], measuredMs: 1, memory: { weightsMB: 1, peakActivationMB: 1 } };
  writeFileSync(profile, JSON.stringify({ ...base, layers: 'x' }));
  assert.throws(() => loadProfile(profile), mopar(/^profile .*profile\.json: layers must be an array$/));
  writeFileSync(profile, JSON.stringify({ ...base, layers: [{ index: 0, nodes: [], ms: -1, peakActivationMB: 0, paramMB: 0, cutTensors: [], cutBytesAfter: 0 }] }));
  assert.throws(() => loadProfile(profile), mopar(/layers\[0\]\.ms must be >= 0/));
  writeFileSync(profile, JSON.stringify({ ...base, layers: [] }));
  assert.throws(() => loadProfile(profile), mopar(/layers must NOT have fewer than 1 items/));
});

test('JSON files over MAX_JSON_FILE_BYTES are refused before they are read: size and cap named (plan, profile, manifest)', async () => {
  // A sparse 100 MB file: no disk used, and readJsonFile must not read it (JSON.parse of NULs would fail otherwise).
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, 100 * 2 ** 20);
  const over = new RegExp(`is ${100 * 2 ** 20} bytes, over the ${MAX_JSON_FILE_BYTES}-byte \\(16 MiB\\) limit`);
  assert.throws(() => readJsonFile(big, 'plan file'), mopar(over));
  assert.throws(() => readPlan(big), mopar(over));
  assert.throws(() => loadProfile(big), mopar(over));
  const part = join(dir, 'part');
  mkdirSync(part);
  writeFileSync(join(part, 'manifest.json'), '');
  truncateSync(join(part, 'manifest.json'), MAX_JSON_FILE_BYTES + 1);
  assert.throws(() => loadManifest(part), mopar(/manifest .*manifest\.json is 16777217 bytes, over the 16777216-byte/));
  const r = await runCli(['verify', big, part]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^mopar: error: manifest .* is 16777217 bytes, over the 16777216-byte \(16 MiB\) limit/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
