/**
 * A plain HTTP server around a node20-contract handler: what a Knative Service container runs (listens on
 * $PORT, any path). The request is adapted to the same {body, headers, method} event the OpenFaaS template
 * builds, so both targets run the same handler code.
 */
import { createServer, type Server } from 'node:http';
import type { FaasContext, FaasHandler } from './faas-handler.js';

export function serveHandler(handler: FaasHandler, port = Number(process.env.PORT ?? 8080), host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
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
      handler({ body: Buffer.concat(chunks), headers: req.headers, method: req.method }, context).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
