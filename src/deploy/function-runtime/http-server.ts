/**
 * A plain HTTP server around a node20-contract handler: what a Knative Service container and the mopar-node20
 * OpenFaaS template run. The request is adapted to the {body, headers, method, path} event the OpenFaaS template
 * builds, so both targets run the same handler code. Bodies over `maxBodyBytes` get 413 without being buffered.
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FaasContext, FaasHandler } from './faas-handler.js';

/** The limit for a handler that does not know its own (its model's, requestBodyLimit, is used where known). */
const MAX_BODY_BYTES = 256 * 2 ** 20;

export function serveHandler(handler: FaasHandler, port = Number(process.env.PORT ?? 8080), host = '0.0.0.0', maxBodyBytes = handler.maxBodyBytes ?? MAX_BODY_BYTES): Promise<Server> {
  const server = createServer((req, res) => {
    const tooBig = () => res.writeHead(413, { 'content-type': 'application/json', connection: 'close' })
      .end(JSON.stringify({ error: `request body exceeds the limit of ${maxBodyBytes} bytes` }));
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) { req.resume(); tooBig(); return; }
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBodyBytes) { req.removeAllListeners('data'); req.resume(); if (!res.headersSent) tooBig(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
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
      Promise.resolve().then(() => handler({ body: Buffer.concat(chunks), headers: req.headers, method: req.method, path: req.url ?? '/' }, context)).catch((err) => {
        console.error(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal error (see the function\'s log)' }));
      });
    });
  });
  // CONNECT is not served; without this listener node drops the connection without an answer.
  server.on('connect', (_req, socket: Duplex) => {
    const body = JSON.stringify({ error: 'CONNECT not allowed' });
    socket.on('error', () => socket.destroy()); // the server no longer watches this socket: a reset must not throw
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
