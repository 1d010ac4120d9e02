/**
 * Our model of the peak RSS of a process that loads and runs a whole model with onnxruntime-node
 * (graph optimisations on, CPU arena on — what a function host does — and glibc's mmap threshold fixed, see
 * LEAN_MALLOC_ENV in child.ts; without it the peak is higher and not reproducible):
 *
 *   peak ≈ baseline + SESSION_OVERHEAD
 *        + CONV_WEIGHT_FACTOR × conv weights + 1 × other weights + largest weight tensor
 *        + ACTIVATION_FACTOR × peak live activations
 *
 * The load-time copies as they really happen (calibrated once on synthetic models of one op type each; that
 * script was not kept — bench/prepack-memory.ts re-measures the GEMM part on zoo models): onnxruntime copies initializers out of the parsed model one tensor at a time and
 * frees the source, so Gemm/MatMul/Gather weights cost 1× plus one transient copy of the largest tensor
 * (VGG-16's 392 MB fc6 weight is why its load peak far exceeds its steady RSS). Conv weights are additionally
 * re-laid out (NCHWc reorder, prepacking) while the originals are alive: ~2.2× in total (2.1–3.0× measured). A session
 * with no weights costs ~26 MB over the Node + onnxruntime baseline (thread pool, kernel registry, arena).
 * Pre-packing of GEMM weights adds nothing when every consumer of the weight packs it (the original is freed:
 * ViT-B/16, BERT-base, Mixer-B/16 measured +0 MB) but a whole packed copy when another op also reads it (GPT-2's
 * embedding tied to its LM head: +135–148 MB). Function hosts run with pre-packing off (runtime/function-core.ts).
 * Activations: the arena holds the memory-pattern plan, about twice the live peak.
 * Constants are calibrated once and not fitted per model.
 */
export const SESSION_OVERHEAD_MB = 26;
export const CONV_WEIGHT_FACTOR = 2.2;
export const OTHER_WEIGHT_FACTOR = 1.0;
export const ACTIVATION_FACTOR = 2.0;
export const CONV_OPS = new Set(['Conv', 'ConvTranspose', 'QLinearConv', 'ConvInteger']);

export interface RssInputs {
  baselineMB: number;
  /** Weight MB per op type of the node that owns them. */
  weightsByOpMB: Record<string, number>;
  largestWeightMB: number;
  peakActivationMB: number;
}

export function predictPeakRssMB(x: RssInputs): number {
  let weights = 0;
  for (const [op, mb] of Object.entries(x.weightsByOpMB)) weights += mb * (CONV_OPS.has(op) ? CONV_WEIGHT_FACTOR : OTHER_WEIGHT_FACTOR);
  return x.baselineMB + SESSION_OVERHEAD_MB + weights + x.largestWeightMB + ACTIVATION_FACTOR * x.peakActivationMB;
}
