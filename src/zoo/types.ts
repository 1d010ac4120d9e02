/** What the zoo knows about each reference architecture. */
import type { Net } from './net.js';

export type ZooCategory = 'classic-cnn' | 'efficient-cnn' | 'vision-transformer' | 'language-recsys';

export interface ZooModelDef {
  name: string;
  category: ZooCategory;
  /** The published parameter count our full-size graph must match within 1 %. */
  referenceParams: number;
  /** Where the architecture comes from (paper / reference implementation). */
  source: string;
  /** One line: the input(s) and output(s) of the full-size model. */
  io: string;
  /**
   * Written with ONNX external data (weights in `<file>.data` next to the .onnx), tiny variant included: models
   * past protobuf's 2 GiB limit must be, and their tiny variants keep the layout so tests cover it.
   */
  externalData?: boolean;
  /** Builds the graph (weights stay lazy) at full size, or the tiny variant with the same block structure. */
  build(net: Net, tiny: boolean): void;
}
