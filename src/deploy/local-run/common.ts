/** What the local-run front, the HTTP targets and the Lambda target share. */
import type { ChildProcess } from 'node:child_process';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LocalFunction } from './layout.js';

/** A Lambda function URL takes at most 6 MB per request (the platform's limit, emulated at the front). */
export const FUNCTION_URL_LIMIT_BYTES = 6 * 1024 * 1024;
export const AWS_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' };
/** Packages every Lambda Node.js runtime provides to its functions. */
export const LAMBDA_PROVIDED = ['@aws-sdk/client-s3', '@aws-sdk/client-sfn'];
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks)));
    req.on('error', rej);
  });
}
/**
 * Reads a request body of at most `limit` bytes. Resolves undefined as soon as more have arrived (a chunked body
 * declares no length to check up front), having stopped reading: the rest is neither read nor buffered.
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (c: Buffer) => {
      bytes += c.length;
      if (bytes <= limit) { chunks.push(c); return; }
      req.off('data', onData).off('end', onEnd).off('error', rej).pause();
      chunks.length = 0;
      res(undefined);
    };
    const onEnd = () => res(Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', rej);
  });
}
/** How long a refused connection may stay open, unread, for its client to close it. */
const REFUSED_LINGER_MS = 2000;
/**
 * Answers `status` with a JSON body and closes the connection, the rest of the request body left unread. Written on
 * the socket itself: a ServerResponse with `Connection: close` has Node close the socket as soon as it is written,
 * and a close with input unread is a reset, which a client still sending often meets (EPIPE) before it reads the
 * answer. Here the answer is followed by a FIN only; the socket goes when the client closes it (HTTP clients do on
 * the server's FIN) or after REFUSED_LINGER_MS.
 */
export function refuseAndClose(req: IncomingMessage, status: number, body: unknown): void {
  const socket = req.socket;
  const text = JSON.stringify(body);
  req.pause();
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
export interface Started { fn: LocalFunction; child: ChildProcess; port?: number; readyMs: number; limited: boolean; tail: string[] }
export type StartProcess = (fn: LocalFunction, args: string[], cwd: string, env: Record<string, string>, ipc: boolean) => Started;
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;
