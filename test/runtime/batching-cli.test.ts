/** `mopar plan --apps … -o PLAN` then `mopar serve MODEL --batching PLAN`, as a user runs them. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { runCli, startServe } from '../cli/run-cli.js';
import { binaryInferRequest, httpRequest, modelMetadata, randomFeeds } from '../../src/runtime/index.js';
import { writeZooModel } from '../../src/zoo/index.js';
import { cleanup, tmpDir } from './helpers.js';

const dir = tmpDir('batching-cli');
after(() => cleanup(dir));

test('plan --apps -o PLAN, serve --batching PLAN: requests of the planned apps are batched', async () => {
  const model = join(dir, 'm.onnx');
  const plan = join(dir, 'plan.json');
  // The model in-process (`zoo build` has tests of its own): a CLI start fewer.
  writeZooModel('mobilenetv2', model, { tiny: true, batch: 'dynamic' });
  const p = await runCli(['plan', model, '--platform', 'aws-lambda', '--app', 'a:5000:20', '--app', 'b:8000:20',
    '--runs', '2', '--no-cpu-scaling', '--no-rss', '--max-batch', '4', '-o', plan], {}, 120_000);
  assert.equal(p.code, 0, p.stderr);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ model: 'm', functions: [] }));
  const refused = await runCli(['serve', model, '--port', '0', '--batching', bad]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^mopar: error: batching plan .* has no batching groups/);

  const serve = await startServe([model, '--port', '0', '--batching', plan], 60_000);
  const { base } = serve;
  try {
    assert.match(serve.stderr(), /batching \d+ group\(s\) of 2 application\(s\)/);
    const meta = await modelMetadata(base, 'm');
    const replies = await Promise.all([0, 1, 2, 3].map((i) => {
      const { body, headers } = binaryInferRequest(randomFeeds(meta, i + 1));
      return httpRequest(`${base}/v2/models/m/infer`, { method: 'POST', headers: { ...headers, 'x-mopar-app': i % 2 ? 'b' : 'a' }, body });
    }));
    for (const r of replies) {
      assert.equal(r.status, 200, r.body.toString().slice(0, 200));
      assert.ok(Number(r.headers['x-mopar-batch-size']) >= 1);
    }
    const metrics = (await httpRequest(`${base}/metrics`)).body.toString();
    assert.match(metrics, /mopar_batch_size_count\{model="m",group="[ab+]+"\} [1-4]/);
  } finally {
    await serve.stop();
  }
});
