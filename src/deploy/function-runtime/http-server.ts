/**
 * A plain HTTP server around a node20-contract handler: what a Knative Service container and the mopar-node20
 * OpenFaaS template run. The request is adapted to the {body, headers, method, path} event the OpenFaaS template
 * builds, so both targets run the same handler code. Bodies over `maxBodyBytes` get 413 without being buffered.
 */
import { createServer, type Server } from 'node:http';
import { readBody, refuseConnect } from '../../runtime/lean.js';
import type { FaasContext, FaasHandler } from './faas-handler.js';

/** The limit for a handler that does not know its own (its model's, requestBodyLimit, is used where known). */
export const MAX_BODY_BYTES = 256 * 2 ** 20;

export function serveHandler(handler: FaasHandler, port = Number(process.env.PORT ?? 8080), host = '0.0.0.0', maxBodyBytes = handler.maxBodyBytes ?? MAX_BODY_BYTES): Promise<Server> {
  const server = createServer((req, res) => {
    readBody(req, maxBodyBytes).then((body) => {
      if (res.headersSent) return;
      let status = 200;
      let headers: Record<string, string> = {};
      const context: FaasContext = {
        status(code) { status = code; return context; },
        headers(h) { headers = h; return context; },
        succeed(value) {
          const body = Buffer.isBuffer(value) || typeof value === 'string' ? value : JSON.stringify(value);
          res.writeHead(status, headers).end(body);
          return value;
        },
      };
      // One boundary around the handler, sync throws included: no request may end the process.
      Promise.resolve().then(() => handler({ body, headers: req.headers, method: req.method, path: req.url ?? '/' }, context)).catch((err) => {
        console.error(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal error (see the function\'s log)' }));
      });
    }, (err: Error) => {
      // Over the limit (413, the rest of the body read and dropped), or the request broke off: nobody to answer.
      if (res.headersSent) return;
      if ((err as { status?: number }).status === 413) res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: err.message }));
      else res.destroy();
    });
  });
  // CONNECT is not served; without this listener node drops the connection without an answer.
  server.on('connect', (_req, socket) => refuseConnect(socket));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
