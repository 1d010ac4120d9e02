/**
 * Entry point of a function-host process: loads one slice once via the shared function core, then serves
 * invocations from its parent over Node IPC. The parent (`FunctionInstance`) owns spawning, limits and cleanup.
 */
import { createFunctionCore } from './function-core.js';
import { CodecChooser, copyBytes, decodeTensor, encodeTensor, type WireTensor } from './wire.js';
import type { HostConfig, HostMessage, InvokeMessage } from './host-protocol.js';
import type { Feeds } from '../graph/runner.js';

const send = (m: HostMessage) => process.send!(m);
const MB = 2 ** 20;

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.MOPAR_HOST_CONFIG ?? '{}') as HostConfig;
  let core;
  try {
    core = await createFunctionCore(cfg.file, {
      threads: cfg.threads,
      inputs: cfg.inputs,
      outputs: cfg.outputs,
      memArena: cfg.memArena,
      config: cfg.prepacking ? undefined : { 'session.disable_prepacking': '1' },
    });
  } catch (err) {
    send({ type: 'fatal', message: (err as Error).message });
    process.exit(3);
  }
  const chooser = new CodecChooser(cfg.linkMBps);
  const usage = () => ({ rssMB: process.memoryUsage.rss() / MB, peakRssMB: process.resourceUsage().maxRSS / 1024 });
  send({ type: 'ready', loadMs: core.loadMs, ...usage() });
  process.on('message', (m: InvokeMessage) => {
    void (async () => {
      try {
        const t0 = performance.now();
        const feeds: Feeds = {};
        for (const [k, w] of Object.entries(m.feeds)) feeds[k] = decodeTensor(w);
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
        send({ type: 'result', id: m.id, outputs, stats: { hostMs: performance.now() - t0, runMs: t2 - t1, decodeMs: t1 - t0, encode, ...usage() } });
      } catch (err) {
        send({ type: 'error', id: m.id, message: (err as Error).message });
      }
    })();
  });
  // The parent going away (crash, kill -9) must not leave an orphan host behind.
  process.on('disconnect', () => process.exit(0));
}

void main();
