/** Base64 for tensor bytes inside JSON (Lambda and Step Functions payloads are JSON text). */
import { CodecError } from './errors.js';

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict: Buffer.from would silently skip characters outside the alphabet and return fewer bytes. */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new CodecError('tensor data is not valid base64');
  }
  return Buffer.from(text, 'base64');
}
