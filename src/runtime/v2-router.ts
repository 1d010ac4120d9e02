/**
 * The one KServe v2 (Open Inference Protocol) router and error mapping, shared by the embedded gateway
 * (gateway.ts) and every deployed function's entry (deploy/function-runtime/v2.ts): which request target is which
 * route, the answers that need no model run (health, server and model metadata, readiness, /metrics), and the
 * HTTP status and body of every error. Infer is left to the caller: the gateway streams the body in after
 * admission, a deployed function gets it whole. Reachable from lean.ts: it must not import the gateway, the
 * metrics registry (prom-client) or ONNX protobuf code.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { basename } from 'node:path';
import { errorMessage } from '../core/index.js';
import { CodecError } from '../codec/index.js';
import { HttpError } from './validate.js';
import { v2Meta } from './protocol.js';
import type { TensorMeta } from './model.js';
import { FunctionFailedError, FunctionTimeoutError } from './instance.js';
import { DeadlineError, SaturatedError } from './admission.js';

export interface V2Reply { status: number; headers: Record<string, string>; body: Buffer }

/** What a front end serves, as the router needs to know it. */
export interface V2Service {
  /** The served models' names (GET /v2/models, and the 404 of an unknown one). */
  models(): string[];
  /** A served model's tensors and `parameters` (its metadata); undefined: no such model is served. */
  model(name: string): { inputs: TensorMeta[]; outputs: TensorMeta[]; parameters: Record<string, unknown> } | undefined;
  /** The protocol extensions GET /v2 names. */
  extensions: readonly string[];
  /** GET /metrics (Prometheus exposition); absent: no such route. */
  metrics?(): Promise<{ contentType: string; text: string }>;
  /** Further GET/HEAD pages by exact path (the gateway's status page); undefined: not one of them. */
  page?(path: string): V2Reply | undefined;
  /** GET /v2/models/NAME/stats (a mopar extension of the gateway); absent: no such route. */
  stats?(name: string): unknown;
}

/** An answer, or the served model whose infer route the request is (the caller runs it). */
export type V2Routed = { reply: V2Reply } | { infer: string };

/** The one version every served model has. */
export const MODEL_VERSION = '1';
/** Seconds a 429/503 asks the client to wait before retrying (about one queue timeout's worth of work). */
const RETRY_AFTER_S = 1;

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): V2Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) };
}

/** Request text quoted in an error, at most ~100 characters (a request line may be 16 KiB). */
export function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

/**
 * The path of a request target (RFC 9112 §3.2): origin-form ('/p?q') is a path, never a scheme-relative URL
 * ('//host:port/p'); absolute-form ('http://h/p') is parsed as a URL. Anything else, or unparsable: 400.
 */
export function requestPath(target = '/'): string {
  let url: URL;
  try {
    url = new URL(target.startsWith('/') ? `http://x${target}` : target);
  } catch {
    throw new HttpError(400, `malformed request target ${JSON.stringify(clip(target))}`);
  }
  return url.pathname.replace(/\/+$/, '') || '/';
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/**
 * Routes one request (`path` as requestPath gives it). HEAD answers the health, ready and page routes like GET
 * (node's ServerResponse drops the body): probes often use HEAD. Throws HttpError 404/405/400.
 */
export async function routeV2(method: string, path: string, svc: V2Service): Promise<V2Routed> {
  const get = method === 'GET' || method === 'HEAD';
  const reply = (body: unknown) => ({ reply: jsonReply(200, body) });
  if (get && (path === '/v2/health/live' || path === '/v2/health/ready')) return reply({ live: true, ready: true });
  if (method === 'GET' && path === '/v2') return reply({ name: 'mopar', version: '0.1.0', extensions: svc.extensions });
  if (method === 'GET' && path === '/metrics' && svc.metrics) {
    const m = await svc.metrics();
    return { reply: { status: 200, headers: { 'content-type': m.contentType }, body: Buffer.from(m.text) } };
  }
  if (method === 'GET' && path === '/v2/models') return reply({ models: svc.models() });
  const page = get ? svc.page?.(path) : undefined;
  if (page) return { reply: page };
  const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/stats)?$/.exec(path);
  if (!m || (m[3] === '/stats' && !svc.stats)) throw new HttpError(404, `no route ${clip(method)} ${clip(path)}`);
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    throw new HttpError(400, `model name in ${JSON.stringify(clip(path))} is not valid percent-encoding`);
  }
  const model = svc.model(name);
  if (!model) throw new HttpError(404, `unknown model '${clip(name)}' (served: ${svc.models().join(', ')})`);
  // One version per served model, '1' (as the metadata says); any other is not served.
  if (m[2] !== undefined && safeDecode(m[2]) !== MODEL_VERSION) {
    throw new HttpError(404, `unknown version '${clip(safeDecode(m[2]))}' of model '${name}' (versions: ${MODEL_VERSION})`);
  }
  const action = m[3];
  if (method === 'GET' && !action) {
    return reply({ name, versions: [MODEL_VERSION], platform: 'mopar', inputs: model.inputs.map(v2Meta), outputs: model.outputs.map(v2Meta), parameters: model.parameters });
  }
  if (get && action === '/ready') return reply({ name, ready: true });
  if (method === 'GET' && action === '/stats') return reply(svc.stats!(name));
  if (method === 'POST' && action === '/infer') return { infer: name };
  throw new HttpError(405, `${clip(method)} not allowed on ${clip(path)}`);
}

/** The HTTP status of an error a request ended with. */
export function statusOf(err: unknown): number {
  return err instanceof HttpError || err instanceof CodecError || err instanceof SaturatedError ? err.status
    : err instanceof FunctionTimeoutError ? 504
      : err instanceof FunctionFailedError ? 502
        : 500;
}

/** Absolute file paths in a message (an onnxruntime load error quotes the file) reduced to their last part. */
export function withoutPaths(message: string): string {
  return message.replace(/(?:[A-Za-z]:)?(?:[\\/][^\s'"`:,;()[\]{}\\/]+){2,}/g, (p) => basename(p.replace(/\\/g, '/')));
}

/**
 * The answer to an error: its status, a one-line `{error}` body (with the failed function and why, where one
 * failed), and Retry-After on 429/503. Our own 4xx messages are built from the request; anything else may quote
 * a file: no local paths out. `internal`: the text a 500 shows instead of its message (a deployed function's
 * details stay in its log).
 */
export function errorReply(err: unknown, internal?: string): V2Reply {
  const status = statusOf(err);
  const body: Record<string, unknown> = {
    error: status === 500 && internal !== undefined ? internal
      : err instanceof HttpError || err instanceof CodecError ? errorMessage(err) : withoutPaths(errorMessage(err)),
  };
  if (err instanceof FunctionFailedError) {
    body.function = err.fn;
    body.reason = err instanceof FunctionTimeoutError ? 'timeout' : err.oom ? 'out of memory' : 'function failed';
  }
  if (err instanceof DeadlineError) { body.function = err.fn; body.reason = 'deadline'; }
  // Saturated (429) or shutting down / waited too long (503): tell clients when to try again.
  const headers: Record<string, string> = status === 429 || status === 503
    ? { 'retry-after': String((err instanceof SaturatedError && err.retryAfterS) || RETRY_AFTER_S) } : {};
  return jsonReply(status, body, headers);
}

/**
 * A request's body, at most `max` bytes: HttpError 413 as soon as the declared length or the bytes received pass
 * it (the rest is read and dropped, so that a client still writing reads the answer instead of a reset).
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) {
    req.resume();
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new HttpError(413, `request body exceeds the limit of ${max} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The answer to a CONNECT request, written on the raw socket (there is no ServerResponse for it). */
export function refuseConnect(socket: Duplex): void {
  const body = JSON.stringify({ error: 'CONNECT not allowed' });
  socket.on('error', () => socket.destroy()); // the server no longer watches this socket: a reset must not throw
  socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
}
