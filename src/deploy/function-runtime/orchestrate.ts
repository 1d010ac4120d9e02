/**
 * Chains the slice functions of a pipeline through the one dataflow scheduler (core/dataflow): each function is
 * called as soon as all its inputs exist (so the sub-slices of one group run in parallel).
 */
import { runDataflow } from '../../core/index.js';
import { tensorsFromValues } from '../../codec/index.js';
import type { Feeds } from '../../graph/index.js';
import type { PipelineConfig, PipelineFunction } from './config.js';
import { WireError } from './wire.js';

export type CallFunction = (fn: PipelineFunction, feeds: Feeds) => Promise<Feeds>;

/** The pipeline's constants as tensors: build them once per load (entry start) and pass them to every orchestrate. */
export function pipelineConstants(p: PipelineConfig): Feeds {
  return tensorsFromValues(p.constants);
}

/** `constants`: pipelineConstants(p), which the functions read beside the request's inputs. */
export function orchestrate(p: PipelineConfig, inputs: Feeds, call: CallFunction, constants: Feeds): Promise<Feeds> {
  return runDataflow(p, inputs, call, { constants, missingInput: (name) => new WireError(`missing model input '${name}'`) });
}
