/**
 * Entry point of a function-host process: loads one slice once via the shared function core, then serves
 * invocations from its parent over Node IPC. The parent (`FunctionInstance`) owns spawning, limits and cleanup;
 * host-watch.ts (loaded first, with --import) ends the host and cleans up when the parent is gone.
 */
// First: the watch on the gateway (a no-op when --import already ran it).
import './host-watch.js';
import { openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFunctionCore } from './function-core.js';
import { copyBytes } from '../codec/index.js';
import { BufferPool, CodecChooser, decodeTensor, encodeTensor, type WireTensor } from './wire.js';
import type { HostConfig, HostMessage, InvokeMessage } from './host-protocol.js';
import { downloadAll, s3Store } from './object-store.js';
import type { Feeds } from '../graph/index.js';

// After the gateway is gone a late answer has nowhere to go; sending it would throw (ERR_IPC_CHANNEL_CLOSED) and
// kill this host before host-watch removes the gateway's segments and this host's cgroup.
const send = (m: HostMessage) => { if (process.connected) process.send!(m, undefined, undefined, () => {}); };

/**
 * This process's resident and peak memory (MB), read after every call: VmRSS and VmHWM from one pread of
 * /proc/self/status through a descriptor kept open (opening, reading whole and decoding the file as a string cost
 * ~0.15 ms of every request). VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent
 * across fork+exec, so a host started by a big gateway would report the gateway's peak.
 */
const statusFd = (() => { try { return openSync('/proc/self/status', 'r'); } catch { return -1; } })();
const statusBuf = Buffer.alloc(4096);
function kBAfter(label: string, n: number): number | undefined {
  const at = statusBuf.indexOf(label);
  if (at < 0 || at >= n) return undefined;
  let i = at + label.length;
  while (statusBuf[i] === 0x20 || statusBuf[i] === 0x09) i++;
  let v = 0;
  for (let d = statusBuf[i]; d !== undefined && d >= 0x30 && d <= 0x39; d = statusBuf[++i]) v = v * 10 + (d - 0x30);
  return v;
}
function memoryMB(): { rssMB: number; peakRssMB: number } {
  if (statusFd >= 0) {
    try {
      const n = readSync(statusFd, statusBuf, 0, statusBuf.length, 0);
      statusBuf.fill(0, n);
      const rss = kBAfter('VmRSS:', n);
      const peak = kBAfter('VmHWM:', n);
      if (rss !== undefined && peak !== undefined) return { rssMB: rss / 1024, peakRssMB: peak / 1024 };
    } catch { /* fall back below */ }
  }
  return { rssMB: process.memoryUsage.rss() / MB, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}
const MB = 2 ** 20;

/** Downloads the slice's objects, all at once (one stream each), into a folder of this instance's own. */
async function fetchSlice(f: NonNullable<HostConfig['fetch']>): Promise<{ dir: string; ms: number; bytes: number }> {
  try {
    return await downloadAll(s3Store(f.store), f.bucket, f.keys);
  } catch (err) {
    throw new Error(`could not fetch its weights from the object store: ${(err as Error).message}`, { cause: err });
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.MOPAR_HOST_CONFIG ?? '{}') as HostConfig;
  let core;
  let fetched: { dir: string; ms: number; bytes: number } | undefined;
  try {
    if (cfg.fetch) fetched = await fetchSlice(cfg.fetch);
    core = await createFunctionCore(fetched ? join(fetched.dir, cfg.fetch!.main) : cfg.file, {
      threads: cfg.threads,
      inputs: cfg.inputs,
      outputs: cfg.outputs,
      memArena: cfg.memArena,
      optimization: cfg.optimization,
      config: {
        'session.disable_prepacking': cfg.prepacking ? '0' : '1',
        ...cfg.config,
      },
    });
  } catch (err) {
    if (fetched) rmSync(fetched.dir, { recursive: true, force: true });
    send({ type: 'fatal', message: (err as Error).message });
    process.exit(3);
  }
  // The session holds what it needs (weights read, or memory-mapped: a mapping outlives the file's name).
  if (fetched) rmSync(fetched.dir, { recursive: true, force: true });
  const chooser = new CodecChooser(cfg.linkMBps);
  const buffers = new BufferPool();
  send({ type: 'ready', loadMs: core.loadMs, fetchMs: fetched?.ms ?? 0, fetchBytes: fetched?.bytes ?? 0, ...memoryMB() });
  process.on('message', (m: InvokeMessage) => {
    const recvAt = performance.timeOrigin + performance.now();
    void (async () => {
      const mine: Uint8Array[] = [];
      const alloc = (n: number) => { const b = buffers.take(n); mine.push(b); return b; };
      try {
        const t0 = performance.now();
        const feeds: Feeds = {};
        for (const [k, w] of Object.entries(m.feeds)) feeds[k] = decodeTensor(w, alloc);
        const t1 = performance.now();
        const out = await core.invoke(feeds);
        const t2 = performance.now();
        const outputs: Record<string, WireTensor> = {};
        const encode: Record<string, ReturnType<typeof encodeTensor>['stats']> = {};
        for (const [k, plan] of Object.entries(m.outputs)) {
          const t = out[k];
          if (!t) throw new Error(`function produced no output '${k}'`);
          const { wire, stats } = encodeTensor(k, t, plan, chooser);
          // Structured clone sends a view's whole buffer: send exactly the bytes.
          if (wire.enc !== 'shm' && wire.data.byteLength !== wire.data.buffer.byteLength) wire.data = copyBytes(wire.data);
          outputs[k] = wire;
          encode[k] = stats;
        }
        send({ type: 'result', id: m.id, outputs, stats: { hostMs: performance.now() - t0, runMs: t2 - t1, decodeMs: t1 - t0, encode, recvAt, ...memoryMB() } });
      } catch (err) {
        send({ type: 'error', id: m.id, message: (err as Error).message });
      } finally {
        buffers.give(mine);
      }
    })();
  });
}

void main();
