/**
 * The in-process executor of a built partition: one onnxruntime session per function; a function runs as soon
 * as all its inputs exist, and everything ready at once (the sub-slices of a group, independent branches) runs
 * concurrently (onnxruntime-node runs sessions off the main thread).
 */
import { MoparError, runDataflow } from '../core/index.js';
import { tensorsFromValues } from '../codec/index.js';
import { openSession, runSession, type Feeds, type ort, type SessionOptions } from '../graph/index.js';
import { loadManifest } from './manifest.js';
import type { Manifest } from './types.js';

export interface PipelineOptions {
  /** Intra-op threads per function (default: the manifest's `threads`, capped at 2 to share the machine). */
  threads?: number;
  /** onnxruntime graph optimisation level of every function (default 'all', as deployed). */
  optimization?: SessionOptions['optimization'];
}

export interface PipelineRun {
  outputs: Feeds;
  /** Wall-clock ms per function, and of the whole run. */
  functionMs: Record<string, number>;
  totalMs: number;
}

export interface Pipeline {
  manifest: Manifest;
  run(feeds: Feeds): Promise<PipelineRun>;
  close(): Promise<void>;
}

export async function openPipeline(dir: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  const { manifest, paths } = loadManifest(dir);
  // Once per load: every run reads the same tensors.
  const constants = tensorsFromValues(manifest.constants);
  const sessions = new Map<string, ort.InferenceSession>();
  try {
    for (const f of manifest.functions) {
      const path = paths.get(f.name)!;
      const threads = opts.threads ?? Math.min(2, Math.max(1, f.threads ?? 1));
      let s: ort.InferenceSession;
      try { s = await openSession(path, { threads, optimization: opts.optimization }); } catch (err) {
        throw new MoparError(`function '${f.name}' (${f.file}): ${(err as Error).message}`);
      }
      sessions.set(f.name, s);
      if ([...s.inputNames].sort().join('\0') !== [...f.inputs].sort().join('\0')) {
        throw new MoparError(`function '${f.name}': file ${f.file} has inputs [${s.inputNames.join(', ')}] but the manifest says [${f.inputs.join(', ')}]`);
      }
    }
  } catch (err) {
    for (const s of sessions.values()) await s.release();
    throw err;
  }

  const run = async (feeds: Feeds): Promise<PipelineRun> => {
    const t0 = performance.now();
    const functionMs: Record<string, number> = {};
    const outputs = await runDataflow(manifest, feeds, async (f, ins) => {
      const t = performance.now();
      let out: Feeds;
      try { out = await runSession(sessions.get(f.name)!, ins); } catch (err) {
        throw new MoparError(`function '${f.name}' failed: ${(err as Error).message}`);
      }
      functionMs[f.name] = performance.now() - t;
      return out;
    }, { constants });
    return { outputs, functionMs, totalMs: performance.now() - t0 };
  };
  return {
    manifest,
    run,
    close: async () => { for (const s of sessions.values()) await s.release(); sessions.clear(); },
  };
}

/** Opens the partition, runs it once on `feeds`, closes it; returns the model outputs. */
export async function runPipeline(dir: string, feeds: Feeds, opts: PipelineOptions = {}): Promise<Feeds> {
  const p = await openPipeline(dir, opts);
  try { return (await p.run(feeds)).outputs; } finally { await p.close(); }
}
