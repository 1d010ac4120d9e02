/** leanMallocEnv: the malloc settings of every process that loads a model, merged with the caller's own tunables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { LEAN_MALLOC_ENV, leanMallocEnv } from '../../src/core/index.js';

test('without tunables of its own a process gets the fixed mmap threshold and huge pages for its mappings', () => {
  assert.deepEqual(leanMallocEnv({}), { MALLOC_MMAP_THRESHOLD_: '131072', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  assert.deepEqual(leanMallocEnv({ GLIBC_TUNABLES: '  ' }), LEAN_MALLOC_ENV);
});

test("the caller's glibc tunables are kept; its own hugetlb setting wins; the threshold is always ours", () => {
  assert.equal(leanMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  assert.equal(leanMallocEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  assert.equal(leanMallocEnv({ GLIBC_TUNABLES: 'glibc.pthread.x=1:glibc.malloc.hugetlb=2' }).GLIBC_TUNABLES, 'glibc.pthread.x=1:glibc.malloc.hugetlb=2');
  // A tunable whose name only ends like ours is not ours.
  assert.equal(leanMallocEnv({ GLIBC_TUNABLES: 'x.glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'x.glibc.malloc.hugetlb=0:glibc.malloc.hugetlb=1');
  assert.equal(leanMallocEnv({ MALLOC_MMAP_THRESHOLD_: '999' }).MALLOC_MMAP_THRESHOLD_, '131072');
});

/** The anonymous huge pages (kB) a Node process holds after filling a 16 MB buffer, started with `env`. */
function hugeKB(env: Record<string, string>): number {
  const script = "const b = Buffer.alloc(16 << 20); b.fill(1); process.stdout.write(require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8').match(/AnonHugePages:\\s+(\\d+)/)[1])";
  return Number(execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' }));
}

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
const thpMode = existsSync(THP) ? /\[(\w+)\]/.exec(readFileSync(THP, 'utf8'))?.[1] : undefined;

test('glibc honours the setting: a large tensor lands in huge pages where THP is madvise', { skip: thpMode !== 'madvise' && `transparent huge pages are ${thpMode ?? 'absent'} here, not madvise` }, () => {
  assert.ok(existsSync('/proc/self/smaps_rollup'));
  assert.equal(hugeKB({ MALLOC_MMAP_THRESHOLD_: '131072' }), 0, 'without the tunable: 4 KB pages');
  assert.ok(hugeKB(leanMallocEnv({})) >= 8192, 'with it: most of the 16 MB in 2 MB pages');
});
