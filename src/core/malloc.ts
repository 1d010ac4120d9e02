/**
 * glibc raises its mmap threshold each time a large block is freed, so later large allocations land in the heap,
 * fragment it and are never returned: the same model's peak RSS then varies run to run (mixer-b16: 335 vs 510 MB).
 * A fixed threshold keeps large tensors in their own mappings: repeatable and lower peaks. Used for every process
 * that loads a model (profiling children, function hosts).
 *
 * Each such mapping is fresh memory, so every call that makes a large tensor (a slice's output copied out of
 * onnxruntime, an input decoded from its hand-off) page-faults it in, 4 KB at a time. On this project's VM that
 * cost a served slice about 0.5 ms per MB (VGG-16's 12.8 MB ReLU: 7.5–9.8 ms with the fixed threshold, 2.3–3.0 ms
 * with glibc's default; its first 2-thread convolution 25–27 vs 21–23 ms; 2026-12-07, in-process, three runs
 * each). `glibc.malloc.hugetlb=1` has glibc ask for transparent huge pages on those mappings (where THP is
 * `madvise`, as on Debian): 2 MB per fault, the mappings stay separate (3.2–4.8 and 23 ms), and the whole
 * 37-function VGG-16 chain served 10 % faster (374 / 358 vs 415 / 400 ms, alternating runs).
 */
export const LEAN_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };

/**
 * LEAN_MALLOC_ENV for a process started from `base`: glibc tunables `base` already sets are kept (appended to,
 * and a hugetlb setting of its own wins), the mmap threshold is always ours (memory sizes are planned with it).
 */
export function leanMallocEnv(base: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const own = base.GLIBC_TUNABLES?.trim();
  const tunables = !own ? LEAN_MALLOC_ENV.GLIBC_TUNABLES!
    : /(^|:)glibc\.malloc\.hugetlb=/.test(own) ? own : `${own}:${LEAN_MALLOC_ENV.GLIBC_TUNABLES}`;
  return { ...LEAN_MALLOC_ENV, GLIBC_TUNABLES: tunables };
}
