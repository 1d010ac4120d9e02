/**
 * The served-call overhead the planner adds per function call and per request (issue 27): a small model served on
 * the embedded runtime as 1 and as 2 chained functions, each under a 1-vCPU quota, with sequential binary requests
 * as `verify --measure` sends them. One function's median less its run time is what a request pays besides its
 * work (client, HTTP, gateway codecs, IPC, host); the second function's extra median, its run times also left
 * out, is what each further call pays (its IPC, host decode/encode and a small hand-off). The request's bytes cost
 * too: MobileNetV2's 0.6 MB input paid 6.4 ms of overhead where the toy's 64 bytes paid 1.2 ms; an input the
 * model's size reduced to one number (work ~0) gives the rate per MB, and one number expanded to a reply the
 * model's size the reply's rate (GPT-2's 25.7 MB of logits: 84 ms outside its call, 38 planned at a 1 MiB input's
 * rate; 2026-12-07).
 * The model does a few milliseconds of work (BUSY_LAYERS small MatMuls) with small tensors between them: with calls
 * of microseconds the gateway never went idle during a call, while with a real slice's milliseconds it does and
 * pays a wake-up on every reply (on this VM ~0.4 ms a leg: Node IPC to a child busy 5 ms took 0.63 ms more than to
 * one answering at once). Each probe's overhead is its latency less the run time its hosts report, per round, so
 * the work's own spread (a 5 ms run varies by ±5 ms here) stays out of the differences; the second slice's run
 * (0.1–0.6 ms more than one slice's) is the model's, not the call's. At 1 vCPU and at 2 (2 threads) it read
 * 0.77–0.92 ms a further call, 2.3–2.7 ms a request (2026-12-07, load 1.0–1.3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantile, threadsFor } from '../core/index.js';
import { toyWeights } from '../zoo/index.js';
import { GraphBuilder, saveModel } from '../graph/index.js';
import { writeChunkedManifest, writeManifest } from '../partition/index.js';
import { Gateway, DEFAULT_GATEWAY, infer, modelMetadata, randomFeeds } from '../runtime/index.js';
import { tapCalls } from './compose.js';

export interface ServedOverhead {
  /** Per function call beyond the first of a request, ms. */
  invocationMs: number;
  /** Per request with one function call and a small input, beside its run time, ms (includes that call's own overhead). */
  requestMs: number;
  /** Per MB of request input, ms. */
  requestMsPerMB: number;
  /** Per MB of the reply (the model's outputs), ms. */
  replyMsPerMB: number;
}

/**
 * The byte probes' sizes: the model's own input and reply where the caller gives them, within these bounds (the
 * rate per MB is not constant: this probe read 1.3–1.45 ms per MiB for a 4 MiB reply, 1.9–2.1 for GPT-2's 25.7 MB, 2026-12-07).
 */
const DEFAULT_INPUT_BYTES = 2 ** 20;
const DEFAULT_REPLY_BYTES = 4 * 2 ** 20;
const MIN_PROBE_BYTES = 256 * 1024;
const MAX_PROBE_BYTES = 64 * 2 ** 20;
const probeFloats = (bytes: number) => Math.round(Math.min(MAX_PROBE_BYTES, Math.max(MIN_PROBE_BYTES, bytes)) / 4);
/** The busy probe: BUSY_LAYERS × (MatMul [BUSY_ROWS, BUSY_WIDTH]·[BUSY_WIDTH, BUSY_WIDTH] → Tanh), 32 KB between layers. */
const BUSY_LAYERS = 16;
const BUSY_ROWS = 16;
const BUSY_WIDTH = 512;

/** A few ms of work at one thread whose cut, wherever a chunked manifest puts it, is one 32 KB tensor. */
function writeBusyModel(dir: string): string {
  const b = new GraphBuilder('busy');
  let h = b.input('x', 'float32', [BUSY_ROWS, BUSY_WIDTH]);
  for (let i = 0; i < BUSY_LAYERS; i++) {
    const w = b.init(`w${i}`, 'float32', [BUSY_WIDTH, BUSY_WIDTH], toyWeights(BUSY_WIDTH * BUSY_WIDTH, i + 1));
    // Tanh keeps every value in [-1, 1] and away from denormals, whose arithmetic would slow the MatMuls.
    h = b.node('Tanh', [b.node('MatMul', [h, w], {}, { name: `mm${i}` })], {}, { name: `tanh${i}` });
  }
  b.outputs.length = 0;
  b.output(h, 'float32', [BUSY_ROWS, BUSY_WIDTH]);
  const path = join(dir, 'busy.onnx');
  saveModel(b.model(17), path);
  return path;
}

/** x [1, floats] → its maximum: the input's bytes in, 4 bytes out, next to no work. */
function writeReduceModel(dir: string, floats: number): string {
  const b = new GraphBuilder('reduce');
  const x = b.input('x', 'float32', [1, floats]);
  const y = b.node('ReduceMax', [x], { keepdims: 1 }, { name: 'r' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, 1]);
  const path = join(dir, 'reduce.onnx');
  saveModel(b.model(17), path);
  return path;
}

/** x [1, 1] → expanded to [1, floats]: 4 bytes in, the reply's bytes out, next to no work. */
function writeExpandModel(dir: string, floats: number): string {
  const b = new GraphBuilder('expand');
  const x = b.input('x', 'float32', [1, 1]);
  const shape = b.init('shape', 'int64', [2], BigInt64Array.from([1n, BigInt(floats)]), true);
  const y = b.node('Expand', [x, shape], {}, { name: 'e' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, floats]);
  const path = join(dir, 'expand.onnx');
  saveModel(b.model(17), path);
  return path;
}

type Probe = 'one' | 'two' | 'big' | 'reply';

/**
 * The four probes served side by side by one gateway and requested in turn (one, two, big, one, ...), so that
 * load drifting during the measurement reaches all four alike; per round, each probe's latency less the run time
 * its hosts report (the callers take medians of per-round differences). Measured one probe after another (each
 * behind its own gateway), BERT's and MobileNetV2's profiles, taken minutes apart on the same machine, read a
 * per-call overhead of 2.37 and 0.33 ms.
 */
async function pairedRounds(dirs: Record<Probe, string>, rounds: number): Promise<Record<Probe, number[]>> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true });
  try {
    const keys = ['one', 'two', 'big', 'reply'] as const;
    const all = keys.map((k) => { const name = gw.addModel(dirs[k], k); return { k, name, calls: tapCalls(gw, name) }; });
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const feeds = await Promise.all(all.map(async (p) => randomFeeds(await modelMetadata(url, p.name), 1)));
    for (let i = 0; i < 5; i++) for (const [j, p] of all.entries()) await infer(url, p.name, feeds[j]!);
    for (const p of all) p.calls.take();
    const over: Record<Probe, number[]> = { one: [], two: [], big: [], reply: [] };
    for (let i = 0; i < rounds; i++) {
      const round: Partial<Record<Probe, number>> = {};
      // The order rotates: no probe always follows the same one.
      for (let j = 0; j < all.length; j++) {
        const p = all[(i + j) % all.length]!;
        const t0 = performance.now();
        const r = await infer(url, p.name, feeds[(i + j) % all.length]!);
        const ms = performance.now() - t0;
        const run = p.calls.take().at(-1)?.reduce((a, c) => a + c.stats.runMs, 0);
        if (r.status === 200 && run !== undefined) round[p.k] = ms - run;
      }
      if (keys.every((k) => round[k] !== undefined)) for (const k of keys) over[k].push(round[k]!);
    }
    if (over.one.length === 0) throw new Error('no round of the served-overhead probes was answered');
    return over;
  } finally {
    await gw.close();
  }
}

/** `inputBytes`, `replyBytes`: the model's request input and reply, which the byte probes then send (bounded). */
export async function measureServedOverhead(opts: { requests?: number; vcpu?: number; inputBytes?: number; replyBytes?: number } = {}): Promise<ServedOverhead> {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-overhead-'));
  try {
    const model = writeBusyModel(dir);
    const vcpu = opts.vcpu ?? 1;
    const fn = { vcpu, threads: threadsFor(vcpu), memoryMB: 256 };
    await writeChunkedManifest(model, join(dir, 'one'), 1, 'inline', fn);
    await writeChunkedManifest(model, join(dir, 'two'), 2, 'inline', fn);
    const inFloats = probeFloats(opts.inputBytes ?? DEFAULT_INPUT_BYTES);
    const replyFloats = probeFloats(opts.replyBytes ?? DEFAULT_REPLY_BYTES);
    await writeManifest(writeReduceModel(dir, inFloats), join(dir, 'big'), [{ name: 'r', nodes: ['r'] }], 'inline', fn);
    await writeManifest(writeExpandModel(dir, replyFloats), join(dir, 'reply'), [{ name: 'e', nodes: ['e'] }], 'inline', fn);
    const over = await pairedRounds({ one: join(dir, 'one'), two: join(dir, 'two'), big: join(dir, 'big'), reply: join(dir, 'reply') }, opts.requests ?? 60);
    const diff = (a: number[], b: number[]) => quantile(a.map((x, i) => x - b[i]!), 0.5);
    return {
      invocationMs: Math.max(0, diff(over.two, over.one)), requestMs: Math.max(0, quantile(over.one, 0.5)),
      requestMsPerMB: Math.max(0, diff(over.big, over.one)) / (inFloats * 4 / 2 ** 20),
      replyMsPerMB: Math.max(0, diff(over.reply, over.one)) / (replyFloats * 4 / 2 ** 20),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
