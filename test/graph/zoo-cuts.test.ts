/** The tiny zoo models (real architectures, small widths) survive a byte round trip and random cuts exactly. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import { decodeModel, encodeModel } from '../../src/graph/index.js';
import { buildZooModel, ZOO_NAMES } from '../../src/zoo/index.js';
import { assertSameTensor, contiguousCut, prepare, runPieces, runWhole, topologicalPartition } from './compose.js';

const CUTS = 2;

describe('tiny zoo models', { concurrency: 1 }, () => {
  for (const name of ZOO_NAMES) {
    it(`${name}: round trip, ${CUTS} contiguous cuts and ${CUTS} topological partitions reproduce the outputs exactly`, async () => {
      const model = buildZooModel(name, { tiny: true, seed: 3 });
      const bytes = encodeModel(model);
      assert.ok(Buffer.from(encodeModel(decodeModel(bytes))).equals(Buffer.from(bytes)), 'round trip keeps the bytes');
      const { graph: g, feeds } = await prepare(model);
      const whole = await runWhole(g.model, feeds);
      const rng = new Rng(name.length * 31);
      for (let i = 0; i < CUTS; i++) {
        const k = rng.int(2, 7);
        for (const [what, pieces] of [['contiguous', contiguousCut(g, k, rng)], ['topological', topologicalPartition(g, k, rng)]] as const) {
          const env = await runPieces(g, pieces, feeds);
          for (const o of g.outputs) assertSameTensor(env[o], whole[o]!, `${name} ${what} #${i} (k=${k}) ${o}`);
        }
      }
    });
  }
});
