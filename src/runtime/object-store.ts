/**
 * The object store a function reads its weights from and stages large tensors in: S3 (or any S3-compatible
 * store) through the AWS SDK v3, the same code in the embedded runtime's function hosts and in the deployed
 * functions. The SDK is imported lazily (never loaded when nothing is fetched or staged) and by a variable
 * name, so that bundlers leave it outside the deployed bundle: the Lambda Node.js runtime provides it.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export interface ObjectStore {
  put(bucket: string, key: string, bytes: Uint8Array): Promise<void>;
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Streams the file at `path` into an object; its size in bytes. */
  upload(bucket: string, key: string, path: string): Promise<number>;
  /** Streams an object into `path` (written beside it, then renamed: no half file on failure); its size in bytes. */
  download(bucket: string, key: string, path: string): Promise<number>;
}

/** Where the store is; all optional (the SDK's own defaults: region and credentials from the environment). */
export interface S3StoreOptions {
  /** An S3-compatible endpoint (a local server, MinIO, an in-cluster store), e.g. `http://127.0.0.1:4569`. */
  endpoint?: string;
  /** Bucket in the path (`/bucket/key`), not the host name: what local S3-compatible servers need. */
  forcePathStyle?: boolean;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * S3StoreOptions from the environment of a function: MOPAR_S3_ENDPOINT (an S3-compatible endpoint, path style
 * implied), MOPAR_S3_REGION; credentials stay the SDK's (AWS_ACCESS_KEY_ID… or the function's role).
 */
export function s3OptionsFromEnv(env: Record<string, string | undefined> = process.env): S3StoreOptions {
  const endpoint = env.MOPAR_S3_ENDPOINT || undefined;
  return {
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(env.MOPAR_S3_REGION ? { region: env.MOPAR_S3_REGION } : {}),
  };
}

type Sdk = typeof import('@aws-sdk/client-s3');
const SDK = '@aws-sdk/client-s3'; // a variable: keeps bundlers from resolving it
const loadSdk = () => import(SDK) as Promise<Sdk>;

function client(mod: Sdk, opts: S3StoreOptions) {
  // A custom endpoint needs a region only to sign with; the SDK would otherwise insist on finding one. And
  // S3-compatible stores differ on the SDK's default checksums (a streamed upload goes out aws-chunked with a
  // trailing CRC, which s3rver stores verbatim): checksums only where the API requires them there.
  return new mod.S3Client({
    ...(opts.endpoint ? { endpoint: opts.endpoint, region: opts.region ?? 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const
      : opts.region ? { region: opts.region } : {}),
    ...(opts.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
}

export function s3Store(opts: S3StoreOptions = s3OptionsFromEnv()): ObjectStore {
  let sdk: Promise<{ c: import('@aws-sdk/client-s3').S3Client; mod: Sdk }> | undefined;
  const get = () => (sdk ??= loadSdk().then((mod) => ({ c: client(mod, opts), mod })));
  return {
    async put(bucket, key, bytes) {
      const { c, mod } = await get();
      await c.send(new mod.PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    async get(bucket, key) {
      const { c, mod } = await get();
      const res = await c.send(new mod.GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`empty body for s3://${bucket}/${key}`);
      return await res.Body.transformToByteArray();
    },
    async upload(bucket, key, path) {
      const { c, mod } = await get();
      const size = statSync(path).size;
      await c.send(new mod.PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
      return size;
    },
    async download(bucket, key, path) {
      const { c, mod } = await get();
      const res = await c.send(new mod.GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`empty body for s3://${bucket}/${key}`);
      return await streamToFile(res.Body as Readable, path);
    },
  };
}

/**
 * A function's cold-start fetch: every key downloaded at once into a fresh temp folder (each under its base name).
 * The caller removes `dir` once the session holds the weights; on failure nothing is left behind.
 */
export async function downloadAll(store: ObjectStore, bucket: string, keys: readonly string[]): Promise<{ dir: string; bytes: number; ms: number }> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'mopar-weights-'));
  try {
    const sizes = await Promise.all(keys.map((k) => store.download(bucket, k, join(dir, basename(k)))));
    return { dir, bytes: sizes.reduce((a, b) => a + b, 0), ms: performance.now() - t0 };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Creates a bucket unless it exists (staging weights into a fresh local store). */
export async function ensureBucket(opts: S3StoreOptions, bucket: string): Promise<void> {
  const mod = await loadSdk();
  const c = client(mod, opts);
  try {
    // Head first: S3-compatible servers differ in how they answer creating a bucket that exists.
    const exists = await c.send(new mod.HeadBucketCommand({ Bucket: bucket })).then(() => true, (err) => {
      if (err instanceof mod.NotFound || err?.$metadata?.httpStatusCode === 404) return false;
      throw err;
    });
    if (!exists) await c.send(new mod.CreateBucketCommand({ Bucket: bucket }));
  } finally {
    c.destroy();
  }
}

async function streamToFile(body: Readable | AsyncIterable<Uint8Array>, path: string): Promise<number> {
  const part = `${path}.part-${process.pid}`;
  let bytes = 0;
  try {
    await pipeline(body, async function* (src: AsyncIterable<Uint8Array>) {
      for await (const chunk of src) { bytes += chunk.byteLength; yield chunk; }
    }, createWriteStream(part));
    await rename(part, path);
    return bytes;
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

/** In-process store (tests, local runs). */
export function memoryStore(): ObjectStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  const read = (bucket: string, key: string) => {
    const b = objects.get(`${bucket}/${key}`);
    if (!b) throw new Error(`no object s3://${bucket}/${key}`);
    return b;
  };
  return {
    objects,
    async put(bucket, key, bytes) { objects.set(`${bucket}/${key}`, new Uint8Array(bytes)); },
    async get(bucket, key) { return read(bucket, key); },
    async upload(bucket, key, path) {
      const b = new Uint8Array(readFileSync(path));
      objects.set(`${bucket}/${key}`, b);
      return b.length;
    },
    async download(bucket, key, path) {
      const b = read(bucket, key);
      return await streamToFile((async function* () { yield b; })(), path);
    },
  };
}
