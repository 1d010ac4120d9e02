/**
 * The two small JSON files every generated folder carries next to the runtime module:
 * `function.json` (one slice) and `pipeline.json` (the entry/gateway that chains the slices).
 */
import type { Manifest, TensorSpec } from '../../partition/index.js';
import type { BatchingConfig } from '../../runtime/index.js';
import type { InputRanges } from '../../graph/index.js';

export interface FunctionConfig {
  name: string;
  /** ONNX file, relative to the folder. */
  model: string;
  inputs: string[];
  outputs: string[];
  threads: number;
  /** dtype and shape of its inputs and outputs (its Open Inference Protocol metadata). */
  tensors: Record<string, TensorSpec>;
  /**
   * Tensors still needed after this function's stage (by later functions, or as model outputs): what a Step
   * Functions task passes through in its result. Absent: pass everything through.
   */
  keep?: string[];
  /**
   * `deploy --weights s3`: the folder holds no model file; at cold start the function downloads these keys from
   * the bucket in env MOPAR_WEIGHTS_BUCKET (endpoint: MOPAR_S3_ENDPOINT) into a temporary folder and loads `main`.
   */
  weights?: { keys: string[]; main: string };
}

export interface PipelineFunction {
  name: string;
  inputs: string[];
  outputs: string[];
  /** Environment variable that holds the function's URL (set by stack.yml / the Knative Service). */
  urlEnv: string;
}

export interface PipelineConfig {
  model: string;
  inputs: string[];
  outputs: string[];
  /** dtype and shape of the model's inputs and outputs (the entry's Open Inference Protocol metadata). */
  tensors: Record<string, TensorSpec>;
  functions: PipelineFunction[];
  /** The manifest's max batch: a request with a larger batch is refused (400); absent: no limit. */
  maxBatch?: number;
  /** The manifest's ranges: a request with a ranged dim outside its range is refused (400); absent: none. */
  ranges?: InputRanges;
  /** The manifest's constants: the entry feeds them to the functions of every request itself; absent: none. */
  constants?: Manifest['constants'];
  /**
   * Request batching per group of applications (`mopar deploy --batching PLAN`): the entry queues requests that
   * name their application and runs each batch through the chain once, as `mopar serve --batching` does.
   */
  batching?: BatchingConfig;
}
