/** Messages between the gateway and a function-host process (Node IPC, structured clone). */
import type { EncodeStats, OutputPlan, WireTensor } from './wire.js';
import type { S3StoreOptions } from './object-store.js';

export interface HostConfig {
  /** Function name (for messages) and its ONNX file. */
  name: string;
  file: string;
  inputs: string[];
  outputs: string[];
  threads: number;
  /** onnxruntime's CPU arena (off by default: a serverless host should not hold peak activations while idle). */
  memArena: boolean;
  /** onnxruntime's weight pre-packing (off by default: it keeps a second, packed copy of GEMM weights). */
  prepacking: boolean;
  /** onnxruntime graph optimisation level ('all' adds layout-transformed copies of conv weights at load). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Extra onnxruntime session config entries. */
  config?: Record<string, string>;
  /** Milliseconds the link between functions moves per MB, for the compressed-edge codec choice. */
  linkMBps: number;
  /**
   * Fetch the slice from an object store when the instance starts (the cold start a platform's function pays),
   * into the instance's own temporary folder, instead of reading `file`: `keys` are the slice's objects (the
   * ONNX file and its external data), `main` the name of the ONNX file among them.
   */
  fetch?: { store: S3StoreOptions; bucket: string; keys: string[]; main: string };
}

/** Phases of one cold start measured inside the host (the instance adds the spawn before them). */
export interface StartPhases {
  /** Session creation. */
  loadMs: number;
  /** Fetching the slice's objects (0 when read from a local file), and their bytes. */
  fetchMs: number;
  fetchBytes: number;
}

export interface InvokeMessage {
  type: 'invoke';
  id: number;
  feeds: Record<string, WireTensor>;
  outputs: Record<string, OutputPlan>;
}

export interface InvocationStats {
  /** Decode + run + encode inside the host: the billed duration. */
  hostMs: number;
  /** Model run time inside the host. */
  runMs: number;
  /** Decoding inputs + encoding outputs. */
  decodeMs: number;
  encode: Record<string, EncodeStats>;
  /** Peak RSS of the host process so far (MB). */
  peakRssMB: number;
  rssMB: number;
  /** When the host received the invocation (performance.timeOrigin + now: comparable across processes), for the request trace. */
  recvAt?: number;
}

export type HostMessage =
  | ({ type: 'ready'; rssMB: number; peakRssMB: number } & StartPhases)
  | { type: 'result'; id: number; outputs: Record<string, WireTensor>; stats: InvocationStats }
  | { type: 'error'; id: number; message: string }
  | { type: 'fatal'; message: string };
