/**
 * A local stand-in for a Lambda function URL, for tests: each HTTP request becomes a function URL event
 * (payload format 2.0: rawPath, rawQueryString, lowercase headers, requestContext.http.method, body base64-encoded
 * unless it is text) and runs the handler under lambda-local; the handler's {statusCode, headers, body,
 * isBase64Encoded} becomes the HTTP response. Request signatures are not checked.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const req = createRequire(import.meta.url);
const lambdaLocal = req('lambda-local') as { execute(opts: Record<string, unknown>): Promise<unknown>; setLogger(l: unknown): void };

export interface FunctionUrl { url: string; server: Server; close(): Promise<void> }

export async function startFunctionUrl(handler: unknown, environment: Record<string, string>): Promise<FunctionUrl> {
  lambdaLocal.setLogger({ log() {}, info() {}, warn() {}, error() {}, debug() {}, transports: [] });
  const server = createServer((httpReq, res) => {
    const chunks: Buffer[] = [];
    httpReq.on('data', (c: Buffer) => chunks.push(c));
    httpReq.on('end', () => {
      const url = new URL(httpReq.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks);
      const text = /json|text/.test(String(httpReq.headers['content-type'] ?? ''));
      const event = {
        version: '2.0', rawPath: url.pathname, rawQueryString: url.search.slice(1),
        headers: Object.fromEntries(Object.entries(httpReq.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])),
        requestContext: { http: { method: httpReq.method, path: url.pathname }, requestId: `req-${Date.now()}` },
        ...(body.length ? { body: body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text } : {}),
      };
      lambdaLocal.execute({ event, lambdaFunc: { handler }, lambdaHandler: 'handler', timeoutMs: 120_000, environment, verboseLevel: 0 })
        .then((r) => {
          const out = r as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
          res.writeHead(out.statusCode, out.headers).end(Buffer.from(out.body, out.isBase64Encoded ? 'base64' : 'utf8'));
        })
        .catch((err) => res.writeHead(502).end(JSON.stringify({ error: String(err) })));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, server, close: () => new Promise((r) => server.close(() => r())) };
}
