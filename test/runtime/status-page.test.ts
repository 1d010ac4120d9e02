/**
 * The live status page of `mopar serve` (GET /), loaded in headless Debian chromium against a served tiny model:
 * it shows the function DAG with instance states, invocations, durations and queue depth, and refreshes live.
 * Skips (with the reason) where /usr/bin/chromium is absent; .ci/run installs it.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds, httpRequest } from '../../src/runtime/index.js';
import { cleanup, tmpDir, writeToyManifest } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install -y chromium)`;

const dir = tmpDir('status');
let gw: Gateway;
let base: string;
let browser: BrowserContext | undefined;
let profileDir: string;

before(async () => {
  gw = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false, pool: { ...DEFAULT_GATEWAY.pool, keepWarmMs: 60_000 } });
  const toy = await writeToyManifest(dir);
  gw.addModel(toy.dir, 'toy');
  const addr = await gw.listen(0);
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await browser?.close();
  await gw.close();
  cleanup(dir);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test('status.json: the DAG in groups, instance states, per-function counters', async () => {
  const meta = await modelMetadata(base, 'toy');
  await infer(base, 'toy', randomFeeds(meta, 1));
  const s = gw.status();
  const m = s.models.find((x) => x.name === 'toy')!;
  assert.deepEqual(m.groups.map((g) => g.functions.map((f) => f.name)), [['head'], ['left', 'right'], ['tail']]);
  for (const f of m.groups.flatMap((g) => g.functions)) {
    assert.equal(f.invocations, 1, f.name);
    assert.ok(f.meanMs > 0 && f.queueDepth === 0);
    assert.ok(f.instances.length >= 1 && f.instances.every((i) => ['cold', 'warm', 'busy'].includes(i.state)));
  }
  const metrics = (await httpRequest(`${base}/metrics`)).body.toString();
  assert.match(metrics, /^mopar_function_queue_wait_seconds_count\{model="toy",function="head"\} [1-9]/m, 'queue wait observed per call');
  const head = await httpRequest(`${base}/v2/health/ready`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('versions are validated; 429 carries Retry-After', async () => {
  assert.equal((await httpRequest(`${base}/v2/models/toy/versions/1`)).status, 200);
  const v2 = await httpRequest(`${base}/v2/models/toy/versions/2/ready`);
  assert.equal(v2.status, 404);
  assert.match(JSON.parse(v2.body.toString()).error, /unknown version '2' of model 'toy' \(versions: 1\)/);
  // One instance, no queue: requests beyond the first while it starts are refused with a hint when to retry.
  const d = tmpDir('status-429');
  const tight = new Gateway({ ...DEFAULT_GATEWAY, enforceLimits: false, prewarm: false, pool: { ...DEFAULT_GATEWAY.pool, maxInstances: 1, queueMax: 0 } });
  try {
    tight.addModel((await writeToyManifest(d)).model, 'u');
    const b = `http://127.0.0.1:${(await tight.listen(0)).port}`;
    const meta = await modelMetadata(b, 'u');
    const body = JSON.stringify({ inputs: meta.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, data: new Array(i.shape.reduce((a, x) => a * x, 1)).fill(0) })) });
    const replies = await Promise.all([0, 1, 2, 3].map(() => httpRequest(`${b}/v2/models/u/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })));
    const refused = replies.filter((r) => r.status === 429);
    assert.ok(refused.length >= 1 && replies.some((r) => r.status === 200), replies.map((r) => r.status).join(','));
    for (const r of refused) assert.equal(r.headers['retry-after'], '1');
  } finally {
    await tight.close();
    cleanup(d);
  }
});

test('GET / in headless chromium shows the DAG and refreshes live', { skip }, async () => {
  profileDir = mkdtempSync(join(tmpdir(), 'mopar-chromium-'));
  // A fresh profile directory (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1000, height: 520 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const offsite: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) offsite.push(r.url()); });
  await page.goto(`${base}/`);
  const card = (fn: string) => page.locator(`[data-model="toy"] [data-function="${fn}"]`);
  await card('tail').waitFor({ timeout: 20_000 });
  // The DAG: three groups in order, the parallel pair in one column.
  assert.deepEqual(await page.locator('[data-model="toy"] [data-group]').evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('[data-function]')].map((f) => f.getAttribute('data-function')))),
    [['head'], ['left', 'right'], ['tail']]);
  const before = Number(await card('left').locator('[data-invocations]').textContent());
  // Instances are shown with their state.
  const states = await card('head').locator('[data-state]').evaluateAll((xs) => xs.map((x) => x.getAttribute('data-state')));
  assert.ok(states.length >= 1 && states.every((s) => s === 'warm' || s === 'busy' || s === 'cold'), String(states));
  // Live: requests made now appear without reloading the page.
  const meta = await modelMetadata(base, 'toy');
  for (let i = 0; i < 3; i++) await infer(base, 'toy', randomFeeds(meta, 10 + i));
  const want = gw.status().models[0]!.groups[1]!.functions[0]!.invocations;
  assert.ok(want >= before + 3);
  await page.waitForFunction((n) => Number(document.querySelector('[data-model="toy"] [data-function="left"] [data-invocations]')?.textContent) >= n, want, { timeout: 10_000 });
  assert.match((await card('left').locator('[data-mean-ms]').textContent())!, /^\d+\.\d$/);
  assert.equal(await card('left').locator('[data-queue]').textContent(), '0');
  assert.match((await page.locator('#updated').textContent())!, /^updated /);
  assert.deepEqual(offsite, [], 'the page loads nothing from outside the gateway');
  if (process.env.MOPAR_STATUS_SCREENSHOT) await page.screenshot({ path: process.env.MOPAR_STATUS_SCREENSHOT });
});
