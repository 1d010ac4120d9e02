/**
 * The OpenFaaS `node20` (of-watchdog, HTTP mode) handler contract: `module.exports = async (event, context)`,
 * event = {body, headers, method, query, path}, context.status(n).headers({...}).succeed(value). With
 * RAW_BODY=true the template hands the body over as a Buffer, which keeps binary tensor messages intact.
 */
import type { Feeds } from '../../graph/runner.js';
import { BINARY_TYPE, WireError, decodeBody, encodeBinary, encodeJson } from './wire.js';

export interface FaasEvent { body: unknown; headers: Record<string, string | string[] | undefined>; method?: string }
export interface FaasContext {
  status(code: number): FaasContext;
  headers(h: Record<string, string>): FaasContext;
  succeed(value: unknown): unknown;
}
export type FaasHandler = (event: FaasEvent, context: FaasContext) => Promise<unknown>;

function header(e: FaasEvent, name: string): string {
  const v = e.headers?.[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** Wraps "feeds in → feeds out" as a node20-template handler; replies in the encoding the caller used. */
export function feedsHandler(info: unknown, run: (feeds: Feeds) => Promise<Feeds>): FaasHandler {
  return async (event, context) => {
    if (event.method === 'GET') return context.status(200).headers({ 'content-type': 'application/json' }).succeed(info);
    const ctype = header(event, 'content-type');
    const binary = ctype.startsWith(BINARY_TYPE) || header(event, 'accept').startsWith(BINARY_TYPE);
    try {
      const out = await run(decodeBody(event.body, ctype));
      return binary
        ? context.status(200).headers({ 'content-type': BINARY_TYPE }).succeed(encodeBinary(out))
        : context.status(200).headers({ 'content-type': 'application/json' }).succeed(encodeJson(out));
    } catch (err) {
      const status = err instanceof WireError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status >= 500) console.error(err);
      return context.status(status).headers({ 'content-type': 'application/json' }).succeed({ error: message });
    }
  };
}

