/**
 * A local S3-compatible store where functions fetch their weights at cold start, as a platform's functions do:
 * s3rver (an S3 implementation from npm) on 127.0.0.1, behind a shaping proxy that adds the platform's
 * first-byte latency to every request and sends each response at its per-stream bandwidth. Weights are staged
 * through the unshaped endpoint (not part of any cold start); hosts read through the shaped one. The proxy
 * counts the requests and bytes it served per object, so that tests and benches can see who fetched what.
 */
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3StoreOptions } from './object-store.js';

/** How the proxy shapes each response (the platform record's objectStore figures). */
export interface Shaping {
  /** Added before the first byte of every response, ms. */
  latencyMs: number;
  /** Most bytes per second one response (one stream) is sent at, MB/s (MB = 2^20 bytes); 0 = unlimited. */
  bandwidthMBps: number;
}

export interface ObjectReads { requests: number; bytes: number }

export interface LocalS3 {
  bucket: string;
  /** What function hosts use: the shaped endpoint. */
  shaped: S3StoreOptions;
  /** What staging uses: s3rver directly. */
  direct: S3StoreOptions;
  shaping: Shaping;
  /** Object reads (GET) through the shaped endpoint, per key. */
  reads: Map<string, ObjectReads>;
  close(): Promise<void>;
}

/** s3rver's built-in credentials (it checks signatures; nothing here is secret). */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const CHUNK = 64 * 1024;

export async function startLocalS3(shaping: Shaping, opts: { bucket?: string; dir?: string } = {}): Promise<LocalS3> {
  const bucket = opts.bucket ?? 'mopar-weights';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mopar-s3-'));
  const { default: S3rver } = await import('s3rver');
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port: s3Port } = await s3.run();
  const reads = new Map<string, ObjectReads>();
  const upstream = new Set<ClientRequest>();
  const proxy = createServer((req, res) => void forward(req, res, s3Port, shaping, bucket, reads, upstream));
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const proxyPort = (proxy.address() as AddressInfo).port;
  const opt = (port: number): S3StoreOptions => ({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1', credentials: CREDENTIALS });
  let closing: Promise<void> | undefined;
  return {
    bucket, shaping, reads, shaped: opt(proxyPort), direct: opt(s3Port),
    close: () => (closing ??= (async () => {
      proxy.closeAllConnections();
      // Reads cut off mid-stream would keep s3rver's close() waiting for their connections.
      for (const up of upstream) up.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
      await s3.close();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    })()),
  };
}

async function forward(req: IncomingMessage, res: ServerResponse, port: number, shaping: Shaping, bucket: string, reads: Map<string, ObjectReads>, upstream: Set<ClientRequest>): Promise<void> {
  const started = performance.now();
  // Path style: /bucket/key. An object read is a GET with a key.
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
  const key = req.method === 'GET' && path.startsWith(`/${bucket}/`) ? path.slice(bucket.length + 2) : undefined;
  const up = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, async (upRes) => {
    try {
      const wait = shaping.latencyMs - (performance.now() - started);
      if (wait > 0) await sleep(wait);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      const perMs = shaping.bandwidthMBps > 0 ? (shaping.bandwidthMBps * 2 ** 20) / 1000 : Infinity;
      const t0 = performance.now();
      let sent = 0;
      for await (const chunk of upRes as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += CHUNK) {
          const piece = chunk.subarray(off, off + CHUNK);
          // Per-stream bandwidth: this piece may leave once the stream's budget so far covers it.
          const due = t0 + (sent + piece.length) / perMs;
          const ahead = due - performance.now();
          if (ahead > 1) await sleep(ahead);
          sent += piece.length;
          // A reader that went away (a killed host) never drains: stop, and let go of s3rver's stream.
          if (!res.write(piece)) await drainedOrClosed(res);
          if (res.destroyed) { upRes.destroy(); return; }
        }
      }
      res.end();
      if (key !== undefined && (upRes.statusCode ?? 0) < 300) {
        const r = reads.get(key) ?? { requests: 0, bytes: 0 };
        r.requests++;
        r.bytes += sent;
        reads.set(key, r);
      }
    } catch {
      res.destroy();
    }
  });
  upstream.add(up);
  up.on('close', () => upstream.delete(up));
  up.on('error', () => {
    if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
  });
  req.pipe(up);
}

/** Resolves when `res` drains or closes, and leaves no listener behind (a long read waits for many drains). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}
