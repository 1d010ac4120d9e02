/** What the local-run front, the HTTP targets and the Lambda target share. */
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
export interface Started { fn: LocalFunction; child: ChildProcess; port?: number; readyMs: number; limited: boolean; tail: string[] }
export type StartProcess = (fn: LocalFunction, args: string[], cwd: string, env: Record<string, string>, ipc: boolean) => Started;
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;
