/**
 * Chains the slice functions of a pipeline through the one dataflow scheduler (core/dataflow): each function is
 * called as soon as all its inputs exist (so the sub-slices of one group run in parallel).
 */
import { runDataflow } from '../../core/index.js';
import type { Feeds } from '../../graph/index.js';
import type { PipelineConfig, PipelineFunction } from './config.js';
import { WireError } from './wire.js';

export type CallFunction = (fn: PipelineFunction, feeds: Feeds) => Promise<Feeds>;

export function orchestrate(p: PipelineConfig, inputs: Feeds, call: CallFunction): Promise<Feeds> {
  return runDataflow(p, inputs, call, { missingInput: (name) => new WireError(`missing model input '${name}'`) });
}
