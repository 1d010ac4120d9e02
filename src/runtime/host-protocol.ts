/** Messages between the gateway and a function-host process (Node IPC, structured clone). */
import type { EncodeStats, OutputPlan, WireTensor } from './wire.js';

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
}

export type HostMessage =
  | { type: 'ready'; loadMs: number; rssMB: number; peakRssMB: number }
  | { type: 'result'; id: number; outputs: Record<string, WireTensor>; stats: InvocationStats }
  | { type: 'error'; id: number; message: string }
  | { type: 'fatal'; message: string };
