/**
 * Seeded synthetic weights. A zoo model's graph is built first with *lazy* float weights (name, shape, scale);
 * their values are generated only when the model is materialised or streamed to a file, chunk by chunk, so a
 * 550 MB VGG-16 never sits in memory more than one chunk at a time. Latency and memory depend on the
 * architecture, not on the values; the scales (He/Xavier-like) only keep activations finite and well-conditioned.
 */

/** A float32 initializer whose values are uniform with the given mean and standard deviation. */
export interface LazyWeight {
  name: string;
  dims: number[];
  std: number;
  mean: number;
  /** Position among the model's lazy weights: with the model seed, it fixes the value stream. */
  index: number;
}

export function numelOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Per-tensor stream state: independent of every other tensor, so tensors can be generated in any order. */
export function streamSeed(modelSeed: number, index: number): number {
  // splitmix32-style mixing of (seed, index).
  let h = (Math.imul(modelSeed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) | 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
  return h | 0;
}

/**
 * Fills `out` with the next values of a weight's stream (mulberry32, inlined: ~2 ns per value) and returns the
 * new stream state. Uniform on [mean − √3·std, mean + √3·std): unit-variance-scaled uniform.
 */
export function fillUniform(out: Float32Array, state: number, std: number, mean: number): number {
  const half = Math.sqrt(3) * std;
  const a = (2 * half) / 4294967296;
  const b = mean - half;
  let s = state | 0;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) * a + b;
  }
  return s;
}

/** All values of one lazy weight (for in-memory models; files are streamed instead). */
export function materialize(w: LazyWeight, modelSeed: number): Float32Array {
  const out = new Float32Array(numelOf(w.dims));
  fillUniform(out, streamSeed(modelSeed, w.index), w.std, w.mean);
  return out;
}

/** Yields a weight's values in chunks of at most `chunk` elements, reusing one buffer. */
export function* chunks(w: LazyWeight, modelSeed: number, chunk = 1 << 20): Generator<Float32Array> {
  const total = numelOf(w.dims);
  const buf = new Float32Array(Math.min(total, chunk));
  let state = streamSeed(modelSeed, w.index);
  for (let done = 0; done < total; done += buf.length) {
    const view = total - done < buf.length ? buf.subarray(0, total - done) : buf;
    state = fillUniform(view, state, w.std, w.mean);
    yield view;
  }
}
