import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedHere } from '../../src/bench/index.js';
import { getPlatform, type Plan } from '../../src/plan/index.js';
import { quotaLatency } from '../../src/plan/quota-model.js';

const MiB = 2 ** 20;
type Fn = { name: string; group: string; vcpu: number; ms: number; handInMs: number };

function plan(platform: string, fns: Fn[], edges: Plan['edges'], predicted: { latencyMs: number; p99Ms?: number }, inputShapes: Plan['inputShapes'] = { x: [1, 4] }) {
  return {
    platform, inputShapes, edges,
    predicted: { ...predicted, costPerMillionUSD: 1, efficiency: 0.1 },
    functions: fns.map((f) => ({ name: f.name, group: f.group, vcpu: f.vcpu, memoryMB: 1024, nodes: [], layers: [0, 0] as [number, number], predicted: { ms: f.ms, costPerMillionUSD: 0.1, peakMB: 100, handInMs: f.handInMs } })),
  };
}

// The figures the expected numbers below are worked out with: openfaas's shared memory, 0.5 ms a hand-off + MB / 2000 MB/s.
test('the shm figures the expectations use are the openfaas record\'s', () => {
  assert.deepEqual(getPlatform('openfaas').shm, { available: true, overheadMs: 0.5, bandwidthMBps: 2000 });
  assert.equal(getPlatform('aws-lambda').shm.available, false);
});

/** s00 → s01 → (s02-p0 ∥ s02-p1): two cuts; a skip tensor t0 crosses both; the second cut feeds a 2-part group. */
function chain(vcpu02: number, ms02: number) {
  return [
    { name: 's00', group: 'g00', vcpu: 1, ms: 10, handInMs: 0 },
    { name: 's01', group: 'g01', vcpu: 2, ms: 20, handInMs: 40 },
    { name: 's02-p0', group: 'g02', vcpu: vcpu02, ms: ms02, handInMs: 20 },
    { name: 's02-p1', group: 'g02', vcpu: vcpu02, ms: ms02, handInMs: 20 },
  ];
}
const EDGES: Plan['edges'] = [
  { tensor: 't0', from: 's00', to: ['s01', 's02-p0', 's02-p1'], bytes: 0.5 * MiB, transport: 'inline' },
  { tensor: 't1', from: 's00', to: ['s01'], bytes: 2 * MiB, transport: 'inline' },
  { tensor: 't2', from: 's01', to: ['s02-p0', 's02-p1', '$output'], bytes: 1 * MiB, transport: 'inline' },
];

test('servedHere: the planned hand-ins (once per group) out, shared-memory ones in (bytes of every edge into the group, k copies into a k-part group)', () => {
  const h = servedHere(plan('aws-lambda', chain(1, 15), EDGES, { latencyMs: 100, p99Ms: 100 }));
  // cut 1: t0 + t1 = 2.5 MiB → 0.5 + 1.25 ms; cut 2: t0 + t2 = 1.5 MiB to 2 parts → 0.5 + 1.5 ms.
  assert.equal(h.plannedHandOffMs, 60);
  assert.equal(h.handOffMs, 3.75);
  assert.equal(h.latencyMs, 100 - 60 + 3.75);
  assert.equal(h.p99Ms, 43.75);
  assert.equal(h.transport, 'shm');
  assert.equal(h.shmFiguresOf, 'openfaas');
});

test('servedHere keeps the plan\'s quota-rate bound: a function below one core cannot take requests faster than its work ÷ quota', () => {
  // s02's parts at 0.5 vCPU doing 45 ms each (inside one 50 ms budget: work = call): no faster than 90 ms a request.
  const h = servedHere(plan('aws-lambda', chain(0.5, 45), EDGES, { latencyMs: 145, p99Ms: 195 }));
  assert.equal(h.handOffMs, 3.75);
  assert.equal(h.latencyMs, 90, 'the chain 145 − 60 + 3.75 = 88.75 is faster than the quota lets requests come');
  assert.equal(h.p99Ms, 140);
  // At 30 ms a call (60 ms a request) the chain binds.
  const chained = servedHere(plan('aws-lambda', chain(0.5, 30), EDGES, { latencyMs: 130, p99Ms: 180 }));
  assert.equal(chained.latencyMs, 130 - 60 + 3.75);
  assert.equal(chained.p99Ms, 180 - 130 + 73.75);
  const bound = servedHere(plan('aws-lambda', [{ name: 's00', group: 'g00', vcpu: 1, ms: 5, handInMs: 0 }, { name: 's01', group: 'g01', vcpu: 0.25, ms: 20, handInMs: 30 }],
    [{ tensor: 't', from: 's00', to: ['s01'], bytes: MiB, transport: 'inline' }], { latencyMs: 80, p99Ms: 155 }));
  assert.equal(bound.latencyMs, 80, 'a plan whose median is the quota rate (20 / 0.25) stays at it');
});

test('servedHere: the first group\'s extra copies of the model input are re-priced without a hop overhead, and edges from a group count', () => {
  const fns = [
    { name: 's00-p0', group: 'g00', vcpu: 1, ms: 10, handInMs: 22 },
    { name: 's00-p1', group: 'g00', vcpu: 1, ms: 10, handInMs: 22 },
    { name: 's01', group: 'g01', vcpu: 1, ms: 10, handInMs: 30 },
  ];
  const h = servedHere(plan('gcp-cloud-run', fns, [{ tensor: 'y', from: 'g00', to: ['s01', '$output'], bytes: MiB, transport: 'inline' }],
    { latencyMs: 80 }, { x: [1, MiB / 4] }));
  // 1 MiB input, 1 extra copy: 0.5 ms; the cut: 0.5 + 0.5 ms.
  assert.equal(h.plannedHandOffMs, 52);
  assert.equal(h.handOffMs, 1.5);
  assert.equal(h.latencyMs, 80 - 52 + 1.5);
  assert.equal(h.p99Ms, null);
});

test('servedHere of a one-function plan is the plan\'s prediction', () => {
  const h = servedHere(plan('aws-lambda', [{ name: 's00', group: 'g00', vcpu: 0.25, ms: 10, handInMs: 0 }], [], { latencyMs: 77.7, p99Ms: 152.7 }));
  assert.deepEqual(h, { latencyMs: 77.7, p99Ms: 152.7, handOffMs: 0, plannedHandOffMs: 0, transport: 'shm', shmFiguresOf: 'openfaas' });
});

test('an openfaas plan is priced with its own shm figures', () => {
  const h = servedHere(plan('openfaas', chain(1, 15), EDGES, { latencyMs: 100 }));
  assert.equal(h.shmFiguresOf, 'openfaas');
  assert.equal(h.handOffMs, 3.75);
});

test('callFullSpeedMs undoes quotaLatency, across throttled periods and with a per-period overhead', async () => {
  const { callFullSpeedMs } = await import('../../src/plan/index.js');
  for (const m of [{ periodMs: 100, overheadPerPeriodMs: 0 }, { periodMs: 100, overheadPerPeriodMs: 3 }]) {
    for (const v of [0.125, 0.25, 0.5, 0.75, 1, 2]) {
      for (const full of [0.4, 5, 20, 30, 60, 130, 333]) {
        const got = callFullSpeedMs(quotaLatency(full, v, m).p50, v, m);
        assert.ok(Math.abs(got - full) < 1e-9, `v ${v}, ${full} ms, overhead ${m.overheadPerPeriodMs}: got ${got}`);
      }
    }
  }
});
