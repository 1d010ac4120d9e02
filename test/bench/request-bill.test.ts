import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPlatform, measuredInvocationUSD, measuredOrchestrationUSD } from '../../src/plan/index.js';
import { requestBill } from '../../src/bench/measure.js';
import type { MeasuredFunction } from '../../src/bench/types.js';

const fn = (name: string, durationMs: number): MeasuredFunction => ({ name, group: name, memoryMB: 1024, vcpu: 1, durationMs, peakRssMB: 100 });

test('requestBill: the functions, plus the entry (mean over the measured requests) only for more than one function', () => {
  for (const id of ['aws-lambda', 'openfaas', 'gcp-cloud-run']) {
    const p = getPlatform(id);
    const fnUSD = (f: MeasuredFunction) => measuredInvocationUSD(p, f, f.durationMs);
    const requests = [20, 150];
    const one = [fn('s00', 40)];
    assert.ok(Math.abs(requestBill(p, one, requests).usd - fnUSD(one[0]!)) < 1e-15, `${id}: one function has no entry`);
    const two = [fn('s00', 30), fn('s01', 12)];
    const functions = fnUSD(two[0]!) + fnUSD(two[1]!);
    const entry = (measuredOrchestrationUSD(p, 20) + measuredOrchestrationUSD(p, 150)) / 2;
    assert.ok(entry > 0);
    assert.ok(Math.abs(requestBill(p, two, requests).usd - (functions + entry)) < 1e-15, `${id}: two functions pay the entry`);
    assert.ok(Math.abs(requestBill(p, two).usd - functions) < 1e-15, `${id}: without request latencies, the functions alone`);
  }
  // Lambda: the entry (512 MB, per ms, $0.20/M) and Step Functions Express ($1/M, 64 MB in 100 ms steps) for a 20 ms request.
  const aws = getPlatform('aws-lambda');
  const two = [fn('s00', 30), fn('s01', 12)];
  const extra = requestBill(aws, two, [20]).usd - requestBill(aws, two).usd;
  assert.ok(Math.abs(extra - (0.02 * 0.5 * 0.0000166667 + 0.2e-6 + 1e-6 + 0.1 * (64 / 1024) * 0.00001667)) < 1e-15, String(extra));
});
