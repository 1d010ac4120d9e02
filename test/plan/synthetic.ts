// The synthetic profiles live in src/profile/synthetic.ts (benches use them too); the planner tests' names for them.
export {
  syntheticProfile, randomProfile, syntheticScaling as curve, SYNTHETIC_CHANNEL_SPLIT as CHANNEL, type SyntheticLayer as LayerSpec,
} from '../../src/profile/index.js';
