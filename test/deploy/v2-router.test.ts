/**
 * The KServe v2 router's shared cases (test/fixtures/v2-router-cases.ts) against a deployed function's front end:
 * v2Handler (with the entry's metrics) behind faasHandler and serveHandler, as Knative and OpenFaaS run it.
 */
import { after, before } from 'node:test';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveHandler } from '../../src/deploy/function-runtime/http-server.js';
import { faasHandler } from '../../src/deploy/function-runtime/faas-handler.js';
import { v2Handler } from '../../src/deploy/function-runtime/v2.js';
import { promMetrics } from '../../src/deploy/function-runtime/metrics.js';
import { TOY, v2RouterCases } from '../fixtures/v2-router-cases.js';

let server: Server;
let base = '';

before(async () => {
  // A stand-in model with the toy's tensors: the router and protocol layers are under test here.
  server = await serveHandler(faasHandler(v2Handler({
    name: TOY.name, inputs: [{ ...TOY.input, shape: [...TOY.input.shape] }], outputs: [{ ...TOY.output, shape: [...TOY.output.shape] }],
    run: async () => ({ y: { dtype: 'float32', dims: [1, 8], data: new Float32Array(8) } }),
  }, { metrics: promMetrics() })), 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

v2RouterCases('deployed function', () => base);
