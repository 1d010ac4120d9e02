/**
 * glibc raises its mmap threshold each time a large block is freed, so later large allocations land in the heap,
 * fragment it and are never returned: the same model's peak RSS then varies run to run (mixer-b16: 335 vs 510 MB).
 * A fixed threshold keeps large tensors in their own mappings: repeatable and lower peaks. Used for every process
 * that loads a model (profiling children, function hosts).
 */
export const LEAN_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };
