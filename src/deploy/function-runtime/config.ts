/**
 * The two small JSON files every generated folder carries next to the runtime module:
 * `function.json` (one slice) and `pipeline.json` (the entry/gateway that chains the slices).
 */
export interface FunctionConfig {
  name: string;
  /** ONNX file, relative to the folder. */
  model: string;
  inputs: string[];
  outputs: string[];
  threads: number;
  /**
   * Tensors still needed after this function's stage (by later functions, or as model outputs): what a Step
   * Functions task passes through in its result. Absent: pass everything through.
   */
  keep?: string[];
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
  functions: PipelineFunction[];
}
