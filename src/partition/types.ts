/**
 * Manifest: a dataflow graph of functions connected by tensor names (CONTRACTS.md). Written by `mopar build`
 * into DIR/manifest.json; read by verify, serve and deploy. Every function file is a standalone ONNX model whose
 * graph inputs and outputs carry exactly the listed tensor names.
 */
import type { DType, InputRanges } from '../graph/index.js';
import type { SplitSpec, Transport } from '../plan/index.js';

export interface TensorSpec { dtype: DType; shape: number[] }

export interface ManifestFunction {
  name: string;
  /** ONNX path relative to the manifest (named by content hash, so identical slices are stored once). */
  file: string;
  sha256: string;
  inputs: string[];
  outputs: string[];
  /** Functions of one group run in parallel. */
  group: string;
  memoryMB: number;
  vcpu: number;
  /** onnxruntime intra-op threads to use (≈ vCPU, at least 1). */
  threads: number;
  weightsBytes: number;
  predictedMs: number;
  /** Number of original nodes it computes (0 for a join function). */
  nodeCount?: number;
  /** For a sub-slice: its part of the group's horizontal split (outputs are `<tensor>.part<i>of<k>`). */
  split?: SplitSpec & { axis: number };
  /** Split tensors this function reassembles itself (a Concat prepended to its graph). */
  joins?: string[];
  /**
   * The external data file the function's ONNX file names for its weights (relative to the manifest, next to
   * `file`, content-addressed), its sha256 and size. Present when the source model kept its weights outside the
   * .onnx (models past protobuf's 2 GiB limit must): each slice then carries only its own weights, the same way.
   */
  data?: { file: string; sha256: string; bytes: number };
}

export interface ManifestEdge {
  tensor: string;
  /** Producing function, or '$input' for a model input. */
  from: string;
  /** Consuming functions, or '$output' for a model output. */
  to: string[];
  bytes: number;
  transport: Transport;
}

export interface Manifest {
  kind: 'mopar.manifest';
  version: 1;
  model: string;
  modelHash: string;
  platform: string;
  strategy: string;
  /**
   * Largest batch a request may carry (a dynamic batch dim, published as -1 in `tensors`): memoryMB is sized for
   * it, serve and the deployed entry refuse more (400) and the default body limit counts the batch as it.
   * Absent: a fixed batch, or a manifest from before the limit (no limit; sized for batch 1 as then).
   */
  maxBatch?: number;
  /**
   * Input dims a request may vary within (`--input NAME=LO..HI`): per input, [LO, HI] or null per dim. Those dims
   * are -1 in `tensors` and symbolic in every function file; memory and hand-offs are sized at HI (`inputShapes`);
   * serve and the deployed entry refuse a request outside a range (400). Absent: none.
   */
  ranges?: InputRanges;
  /** The original model's input and output tensor names. */
  inputs: string[];
  outputs: string[];
  /**
   * Tensors the runtime supplies itself to every request (not the client): name → dtype, shape and values
   * (row-major). A function may read them like any tensor; they are not model inputs. Absent: none.
   * They are on no edge (nothing hands them off); the manifest reader adds their dtype and shape to `tensors`.
   */
  constants?: Record<string, { dtype: DType; shape: number[]; data: number[] }>;
  /** dtype and shape of every tensor named above and on every edge. */
  tensors: Record<string, TensorSpec>;
  functions: ManifestFunction[];
  edges: ManifestEdge[];
  /** The unsplit model file, relative to the manifest, when `build` kept it (for verify and comparisons). */
  original?: string;
  /** Concrete shapes of the model inputs the partition was built (and verified) for. */
  inputShapes?: Record<string, number[]>;
  /** Bytes of all function files, and how many functions reuse a file another one already stored. */
  filesBytes?: number;
  dedupedFiles?: number;
}
