/** /metrics through prom-client: escaped label values, process and event-loop metrics, the old metric names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/runtime/metrics.js';

test('label values with quotes, backslashes and newlines are escaped, not mangled', async () => {
  const m = new Metrics();
  m.define('mopar_requests_total', 'counter', 'Inference requests by model and HTTP status.');
  m.inc('mopar_requests_total', { model: 'a"b\\c\nd', code: '200' });
  m.inc('mopar_requests_total', { model: 'a"b\\c\nd', code: '200' }, 2);
  const text = await m.text();
  assert.match(text, /^mopar_requests_total\{model="a\\"b\\\\c\\nd",code="200"\} 3$/m);
  assert.match(text, /^# TYPE mopar_requests_total counter$/m);
});

test('histograms, gauges read at scrape time, and process and event-loop metrics', async () => {
  const m = new Metrics();
  m.define('mopar_function_queue_wait_seconds', 'histogram', 'Queue wait.');
  m.define('mopar_function_instances', 'gauge', 'Instances.');
  m.define('mopar_batch_size', 'histogram', 'Batch sizes.', [1, 2, 4]);
  let n = 1;
  m.gauge('mopar_function_instances', () => [[{ model: 'm', function: 'f' }, n]]);
  m.observe('mopar_function_queue_wait_seconds', { model: 'm', function: 'f' }, 0.002);
  m.observe('mopar_batch_size', { model: 'm', group: 'a' }, 3);
  m.inc('mopar_function_queue_wait_seconds', { model: 'm', function: 'f' }, NaN); // skipped, not thrown
  let text = await m.text();
  assert.match(text, /^mopar_function_queue_wait_seconds_bucket\{le="0\.0025",model="m",function="f"\} 1$/m);
  assert.match(text, /^mopar_function_queue_wait_seconds_count\{model="m",function="f"\} 1$/m);
  assert.match(text, /^mopar_batch_size_bucket\{le="4",model="m",group="a"\} 1$/m);
  assert.match(text, /^mopar_function_instances\{model="m",function="f"\} 1$/m);
  n = 3;
  text = await m.text();
  assert.match(text, /^mopar_function_instances\{model="m",function="f"\} 3$/m, 'read again at each scrape');
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.match(text, new RegExp(`^${name} `, 'm'), name);
  }
});
