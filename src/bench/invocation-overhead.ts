/**
 * The served-call overhead the planner adds per function call and per request (issue 27): a small model served on
 * the embedded runtime as 1 and as 2 chained functions, each under a 1-vCPU quota, with sequential binary requests
 * as `verify --measure` sends them. One function's median less its run time is what a request pays besides its
 * work (client, HTTP, gateway codecs, IPC, host); the second function's extra median is what each further call
 * pays (its IPC, host decode/encode, a small hand-off and its session's own run overhead). The request's bytes cost
 * too: MobileNetV2's 0.6 MB input paid 6.4 ms of overhead where the toy's 64 bytes paid 1.2 ms; a 1 MiB input
 * reduced to one number (work ~0) gives the rate per MB.
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
}

const BIG_FLOATS = 262_144;
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

/** x [1, BIG_FLOATS] → its maximum: 1 MiB in, 4 bytes out, next to no work. */
function writeReduceModel(dir: string): string {
  const b = new GraphBuilder('reduce');
  const x = b.input('x', 'float32', [1, BIG_FLOATS]);
  const y = b.node('ReduceMax', [x], { keepdims: 1 }, { name: 'r' });
  b.outputs.length = 0;
  b.output(y, 'float32', [1, 1]);
  const path = join(dir, 'reduce.onnx');
  saveModel(b.model(17), path);
  return path;
}

/**
 * The three probes served side by side by one gateway and requested in turn (one, two, big, one, ...), so that
 * load drifting during the measurement reaches all three alike; each overhead is the median of its per-round
 * differences. Measured one probe after another (each behind its own gateway), BERT's and MobileNetV2's profiles,
 * taken minutes apart on the same machine, read a per-call overhead of 2.37 and 0.33 ms.
 */
async function pairedRounds(dirs: { one: string; two: string; big: string }, rounds: number): Promise<{ one: number[]; two: number[]; big: number[]; oneRun: number[]; twoRun: number[]; bigRun: number[] }> {
  const gw = new Gateway({ ...DEFAULT_GATEWAY, prewarm: true });
  try {
    const names = { one: gw.addModel(dirs.one, 'one'), two: gw.addModel(dirs.two, 'two'), big: gw.addModel(dirs.big, 'big') };
    const oneCalls = tapCalls(gw, names.one);
    const twoCalls = tapCalls(gw, names.two);
    const bigCalls = tapCalls(gw, names.big);
    const url = `http://127.0.0.1:${(await gw.listen(0)).port}`;
    const probes = (['one', 'two', 'big'] as const).map(async (k) => ({ k, name: names[k], feeds: randomFeeds(await modelMetadata(url, names[k]), 1) }));
    const all = await Promise.all(probes);
    for (let i = 0; i < 5; i++) for (const p of all) await infer(url, p.name, p.feeds);
    for (const t of [oneCalls, twoCalls, bigCalls]) t.take();
    const lat = { one: [] as number[], two: [] as number[], big: [] as number[], oneRun: [] as number[], twoRun: [] as number[], bigRun: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const round: Partial<Record<'one' | 'two' | 'big', number>> = {};
      // The order rotates: no probe always follows the same one.
      for (let j = 0; j < all.length; j++) {
        const p = all[(i + j) % all.length]!;
        const t0 = performance.now();
        const r = await infer(url, p.name, p.feeds);
        if (r.status === 200) round[p.k] = performance.now() - t0;
      }
      const runOf = (tap: typeof oneCalls) => tap.take().at(-1)?.reduce((a, c) => a + c.stats.runMs, 0);
      const oneRun = runOf(oneCalls);
      const twoRun = runOf(twoCalls);
      const bigRun = runOf(bigCalls);
      if (round.one !== undefined && round.two !== undefined && round.big !== undefined && oneRun !== undefined && twoRun !== undefined && bigRun !== undefined) {
        lat.one.push(round.one);
        lat.oneRun.push(oneRun);
        lat.twoRun.push(twoRun);
        lat.bigRun.push(bigRun);
        lat.two.push(round.two);
        lat.big.push(round.big);
      }
    }
    if (lat.one.length === 0) throw new Error('no round of the served-overhead probes was answered');
    return lat;
  } finally {
    await gw.close();
  }
}

export async function measureServedOverhead(opts: { requests?: number; vcpu?: number } = {}): Promise<ServedOverhead> {
  const dir = mkdtempSync(join(tmpdir(), 'mopar-overhead-'));
  try {
    const model = writeBusyModel(dir);
    const vcpu = opts.vcpu ?? 1;
    const fn = { vcpu, threads: threadsFor(vcpu), memoryMB: 256 };
    await writeChunkedManifest(model, join(dir, 'one'), 1, 'inline', fn);
    await writeChunkedManifest(model, join(dir, 'two'), 2, 'inline', fn);
    await writeManifest(writeReduceModel(dir), join(dir, 'big'), [{ name: 'r', nodes: ['r'] }], 'inline', fn);
    const lat = await pairedRounds({ one: join(dir, 'one'), two: join(dir, 'two'), big: join(dir, 'big') }, opts.requests ?? 60);
    const diff = (a: number[], b: number[]) => quantile(a.map((x, i) => x - b[i]!), 0.5);
    // Each probe's time beside its own run (the busy probe's work is most of its latency; the big one's next to none).
    const besideRun = (a: number[], run: number[]) => a.map((x, i) => x - run[i]!);
    const oneOver = besideRun(lat.one, lat.oneRun);
    return {
      invocationMs: Math.max(0, diff(besideRun(lat.two, lat.twoRun), oneOver)), requestMs: Math.max(0, quantile(oneOver, 0.5)),
      requestMsPerMB: Math.max(0, diff(besideRun(lat.big, lat.bigRun), oneOver)) / (BIG_FLOATS * 4 / 2 ** 20),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
