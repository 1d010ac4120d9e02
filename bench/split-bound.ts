/**
 * The split bound of a production-scale recommender, from the platform rules alone (no measurement): the best
 * unsplit ÷ split cost any partition can reach (bench/sweep.ts splitBoundRatio: the physical unsplit function ÷ the
 * floor of a split of at least two functions, each paying a request fee and one billing granule — the one that holds
 * the largest table at a size that holds it), for a DLRM whose request scores one user against 256 candidates, as a function of
 * the embedding tables' total size. Tables: the 26 Criteo Kaggle cardinalities uncapped (33.8 M rows), scaled by
 * width (dim) and by a row factor. Compute is an assumption, stated in the output: MLPs 13-512-256-dim and
 * (dim+351)-512-256-1 at batch 256 ≈ 0.24 GFLOP, taken as MLP_MS at 1 vCPU (default 12 ms ≈ 20 GFLOP/s on one
 * core), with two scaling curves: 'poor' (1.8× at 2 threads, no gain beyond, as BERT/ViT measured here) and 'ideal'
 * (linear to 8 vCPU: the lowest bound, since the unsplit function then buys speed with the CPU its memory forces).
 * Run: node --import tsx bench/split-bound.ts [MLP_MS]
 */
import { CRITEO_CARDINALITIES } from '../src/zoo/index.js';
import { PLATFORMS, getPlatform, type Platform } from '../src/plan/index.js';
import { splitBoundRatio } from '../src/bench/index.js';
import { syntheticProfile, type CpuScalingPoint, type Profile, type SyntheticLayer } from '../src/profile/index.js';

const MLP_MS = Number(process.argv[2] ?? 12);
const CANDIDATES = 256;
const MB = 2 ** 20;

function dlrmProfile(dim: number, rowFactor: number, scaling: 'poor' | 'ideal'): { profile: Profile; embeddingGB: number } {
  const specs: SyntheticLayer[] = [];
  const act = (floats: number) => floats * 4 / MB;
  specs.push({ ms: MLP_MS * 0.3, paramMB: (13 * 512 + 512 * 256 + 256 * dim) * 4 / MB, actMB: act(CANDIDATES * 768), cutBytes: CANDIDATES * dim * 4, op: 'Gemm' });
  let embeddingBytes = 0;
  for (const card of CRITEO_CARDINALITIES) {
    const rows = Math.max(1, Math.round(card * rowFactor));
    embeddingBytes += rows * dim * 4;
    // A gather of one row per candidate: memory-bound, ~negligible time.
    specs.push({ ms: 0.01, paramMB: rows * dim * 4 / MB, actMB: act(CANDIDATES * dim), cutBytes: CANDIDATES * dim * 4, op: 'Gather' });
  }
  specs.push({ ms: MLP_MS * 0.7, paramMB: ((dim + 351) * 512 + 512 * 256 + 256) * 4 / MB, actMB: act(CANDIDATES * 27 * 27 + CANDIDATES * 768), cutBytes: CANDIDATES * 4, op: 'Gemm' });
  const total = specs.reduce((a, s) => a + s.ms, 0);
  const points: CpuScalingPoint[] = [0.25, 0.5, 1, 2, 4, 6, 8].map((v) => ({
    vcpu: v, threads: Math.max(1, Math.round(v)), method: v < 1 ? 'cgroup-quota' as const : 'threads' as const,
    ms: v <= 1 ? total / v : scaling === 'ideal' ? total / v : total / 1.8,
  }));
  return { profile: syntheticProfile(specs, { model: `dlrm-d${dim}-x${rowFactor}`, scaling: points }), embeddingGB: embeddingBytes / 2 ** 30 };
}

function bound(profile: Profile, p: Platform): { ratio: number; note?: string } {
  const ratio = splitBoundRatio(profile, p);
  return Number.isFinite(ratio) ? { ratio } : { ratio, note: `unsplit exceeds ${p.id}'s ${p.memory.maxMB} MB` };
}

const sizes: Array<[number, number]> = [[16, 0.125], [16, 0.25], [16, 0.5], [16, 1], [32, 1], [48, 1], [64, 1], [80, 1], [96, 1], [112, 1], [128, 1]];
console.log(`DLRM split bound (physical unsplit ÷ floor of a split: ≥ 2 functions, each a fee and a granule, the one holding the largest table at a size that holds it); MLPs ${MLP_MS} ms at 1 vCPU for ${CANDIDATES} candidates`);
for (const scaling of ['poor', 'ideal'] as const) {
  console.log(`\nscaling: ${scaling}`);
  console.log(['dim', 'rows×', 'embeddings GB', ...PLATFORMS.map((p) => p.id)].join('\t'));
  const first = new Map<string, string>();
  for (const [dim, f] of sizes) {
    const { profile, embeddingGB } = dlrmProfile(dim, f, scaling);
    const cols = PLATFORMS.map((p) => {
      const b = bound(profile, getPlatform(p.id));
      if (b.ratio >= 2.58 && !first.has(p.id)) first.set(p.id, `${embeddingGB.toFixed(2)} GB (dim ${dim})${b.note ? `, ${b.note}` : ''}`);
      return b.note ? `∞ (${b.note})` : b.ratio.toFixed(2);
    });
    console.log([dim, f, embeddingGB.toFixed(2), ...cols].join('\t'));
  }
  for (const p of PLATFORMS) console.log(`÷2.58 first reachable on ${p.id}: ${first.get(p.id) ?? 'not within these sizes'}`);
}
