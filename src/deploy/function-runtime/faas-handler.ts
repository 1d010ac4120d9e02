/**
 * The OpenFaaS `node20` (of-watchdog, HTTP mode) handler contract: `module.exports = async (event, context)`,
 * event = {body, headers, method, query, path}, context.status(n).headers({...}).succeed(value). With
 * RAW_BODY=true the template hands the body over as a Buffer, which keeps binary tensor data intact. The path is
 * what follows /function/<name> at the OpenFaaS gateway, so `<gateway>/function/<name>/v2/models/...` reaches
 * the function's Open Inference Protocol routes.
 */
import type { V2Handler } from './v2.js';

export interface FaasEvent { body: unknown; headers: Record<string, string | string[] | undefined>; method?: string; path?: string }
export interface FaasContext {
  status(code: number): FaasContext;
  headers(h: Record<string, string>): FaasContext;
  succeed(value: unknown): unknown;
}
export type FaasHandler = ((event: FaasEvent, context: FaasContext) => Promise<unknown>) & {
  /** The largest body a valid request to this handler can have (runtime's requestBodyLimit of its inputs). */
  maxBodyBytes?: number;
};

function bodyBuffer(body: unknown): Buffer {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body);
  if (body === undefined || body === null || body === '') return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(body)); // a template without RAW_BODY parsed the JSON already
}

/** An Open Inference Protocol handler behind the node20 contract. */
export function faasHandler(v2: V2Handler, maxBodyBytes?: number): FaasHandler {
  const handler: FaasHandler = async (event, context) => {
    const r = await v2({ method: event.method ?? 'GET', path: event.path || '/', headers: event.headers ?? {}, body: bodyBuffer(event.body) });
    return context.status(r.status).headers(r.headers).succeed(r.body);
  };
  handler.maxBodyBytes = maxBodyBytes;
  return handler;
}
