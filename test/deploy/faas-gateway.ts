/**
 * A local stand-in for the OpenFaaS gateway + node20 template, for tests: routes POST /function/<name> to that
 * function's handler.js, building the event and context the node20 (of-watchdog, HTTP mode) template builds —
 * event {body, headers, method, query, path} with the raw body as a Buffer (RAW_BODY=true), context with
 * status()/headers()/succeed()/fail() — and answering the way it does (objects and arrays as JSON text, Buffers and
 * strings as they are; a handler that returns without calling succeed() answers its return value).
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

type Handler = (event: unknown, context: unknown, cb?: unknown) => Promise<unknown>;

class Node20Context {
  statusCode = 200;
  headerValues: Record<string, string> = {};
  cbCalled = 0;
  constructor(private readonly cb: (err: unknown, value?: unknown) => void) {}
  status(code?: number) {
    if (!code) return this.statusCode;
    this.statusCode = code;
    return this;
  }
  headers(value?: Record<string, string>) {
    if (!value) return this.headerValues;
    this.headerValues = value;
    return this;
  }
  succeed(value: unknown) { this.cbCalled++; this.cb(undefined, value); }
  fail(value: unknown) { if (this.statusCode === 200) this.statusCode = 500; this.cbCalled++; this.cb(value); }
}

export interface FaasGateway { url: string; server: Server; close(): Promise<void> }

/** `functions`: platform name → function folder (with handler.js). */
export async function startFaasGateway(functions: Record<string, string>): Promise<FaasGateway> {
  const handlers = new Map<string, Handler>();
  for (const [name, dir] of Object.entries(functions)) {
    handlers.set(name, createRequire(join(dir, 'handler.js'))(join(dir, 'handler.js')) as Handler);
  }
  const server = createServer((req, res) => {
    const m = /^\/function\/([^/?]+)(\/[^?]*)?/.exec(req.url ?? '');
    const handler = m ? handlers.get(m[1]!) : undefined;
    if (!handler) { res.writeHead(404).end('no such function'); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cb = (err: unknown, value?: unknown) => {
        if (err) { res.writeHead(ctx.statusCode).end(String(err)); return; }
        const json = value !== null && typeof value === 'object' && (Array.isArray(value) || value.constructor === Object);
        res.writeHead(ctx.statusCode, ctx.headerValues).end(json ? JSON.stringify(value) : (value as string | Buffer | undefined) ?? '');
      };
      const ctx = new Node20Context(cb);
      const event = { body: Buffer.concat(chunks), headers: req.headers, method: req.method, query: {}, path: m![2] ?? '/' };
      Promise.resolve(handler(event, ctx, cb)).then((r) => { if (!ctx.cbCalled) ctx.succeed(r); }).catch((e) => cb(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server, close: () => new Promise((r) => server.close(() => r())) };
}
