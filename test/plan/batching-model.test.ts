import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchSizeDistribution, costPerRequest, latencyExceedance, latencyQuantile, meanBatchSize, meanLatency,
} from '../../src/plan/batching/queue-model.js';
import { quantile } from '../../src/core/index.js';
import { simulateBatching } from '../../src/plan/batching/simulate.js';

// Execution grows with the batch (fixed part + per item), as a CPU function's does.
const exec = (b: number) => 30 + 6 * b;

/**
 * The model against the simulation over a grid of (λ, B, T): p99 within 3 % (or 1 ms) and the mean batch size
 * within 2 %. 200,000 simulated requests per cell: the empirical p99's own noise is well under that.
 */
test('latency model: p99, mean latency and mean batch size match a seeded simulation over (λ, B, T)', () => {
  const rates = [0.5, 3, 20, 120];
  const batches = [1, 2, 4, 8, 16];
  const timeouts = [5, 50, 400, 2000];
  let cells = 0;
  let batched = 0;
  let seed = 1;
  for (const ratePerSec of rates) {
    for (const maxBatch of batches) {
      for (const timeoutMs of timeouts) {
        const q = { ratePerSec, maxBatch, timeoutMs };
        const sim = simulateBatching(q, exec, 200_000, seed++);
        const simP99 = quantile(sim.latencies, 0.99);
        const simMean = sim.latencies.reduce((a, b) => a + b, 0) / sim.latencies.length;
        const simBatch = sim.batchSizes.reduce((a, b) => a + b, 0) / sim.batchSizes.length;
        const p99 = latencyQuantile(q, exec, 0.99);
        const label = `λ=${ratePerSec}/s B=${maxBatch} T=${timeoutMs}ms`;
        assert.ok(Math.abs(p99 - simP99) <= Math.max(1, 0.03 * simP99), `${label}: model p99 ${p99.toFixed(2)} vs simulated ${simP99.toFixed(2)}`);
        const mean = meanLatency(q, exec);
        assert.ok(Math.abs(mean - simMean) <= Math.max(0.5, 0.02 * simMean), `${label}: mean ${mean.toFixed(2)} vs ${simMean.toFixed(2)}`);
        const mb = meanBatchSize(q);
        assert.ok(Math.abs(mb - simBatch) <= 0.02 * simBatch, `${label}: mean batch ${mb.toFixed(3)} vs ${simBatch.toFixed(3)}`);
        cells++;
        if (simBatch > 1.5) batched++;
      }
    }
  }
  assert.equal(cells, 80);
  // The grid must exercise real batching, not just batches of one.
  assert.ok(batched >= 20, `only ${batched} cells batched`);
});

test('latency model: known answers', () => {
  // B = 1 or T = 0: every request alone, latency = exec(1).
  assert.deepEqual(batchSizeDistribution({ ratePerSec: 50, maxBatch: 1, timeoutMs: 100 }), [1]);
  assert.equal(latencyQuantile({ ratePerSec: 50, maxBatch: 8, timeoutMs: 0 }, exec), exec(1));
  // Batch size distribution: Poisson(λT) for the later arrivals, capped at B.
  const d = batchSizeDistribution({ ratePerSec: 10, maxBatch: 3, timeoutMs: 100 }); // λT = 1
  assert.ok(Math.abs(d[0]! - Math.exp(-1)) < 1e-12);
  assert.ok(Math.abs(d[1]! - Math.exp(-1)) < 1e-12);
  assert.ok(Math.abs(d[2]! - (1 - 2 * Math.exp(-1))) < 1e-12);
  // A very low rate: nearly every batch times out alone, so the first request waits T: p99 = T + exec(1).
  const lone = { ratePerSec: 0.01, maxBatch: 8, timeoutMs: 200 };
  assert.ok(Math.abs(latencyQuantile(lone, exec) - (200 + exec(1))) < 1e-3);
  // A very high rate: batches fill at once; latency ≈ exec(B) and cost = one batch's / B.
  const busy = { ratePerSec: 1e6, maxBatch: 4, timeoutMs: 100 };
  assert.ok(Math.abs(latencyQuantile(busy, exec) - exec(4)) < 0.1);
  assert.ok(Math.abs(costPerRequest(busy, (b) => 1 + b) - 5 / 4) < 1e-9);
  // Exceedance is a fraction, non-increasing in x.
  const q = { ratePerSec: 5, maxBatch: 8, timeoutMs: 300 };
  let prev = 1;
  for (let x = 0; x <= 400; x += 5) {
    const e = latencyExceedance(q, exec, x);
    assert.ok(e >= 0 && e <= prev + 1e-12, `exceedance at ${x}: ${e} after ${prev}`);
    prev = e;
  }
  assert.equal(latencyExceedance(q, exec, 300 + exec(8)), 0);
});
