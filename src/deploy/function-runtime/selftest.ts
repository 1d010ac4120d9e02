/**
 * What a generated folder's `npm test` runs (the OpenFaaS and Knative image builds run it): one real request
 * through the folder's own handler, so that an image that cannot answer an inference is never built. A slice
 * runs its model on zeros at batch 1; the entry, which has no slices to call at build time, must parse and
 * validate a well-formed request and then fail to reach its first slice (502) — any other answer is a failure.
 */
import { join } from 'node:path';
import type { TensorSpec } from '../../partition/index.js';
import { v2Datatype } from '../../runtime/index.js';
import { numel } from '../../graph/lean.js';
import { openfaasFunction } from './openfaas.js';
import { openfaasEntry } from './chain-entry.js';
import { openfaasModel } from './model-function.js';
import { existsSync, readFileSync } from 'node:fs';
import type { FaasContext, FaasHandler } from './faas-handler.js';

function zerosRequest(names: readonly string[], tensors: Record<string, TensorSpec>): Buffer {
  const inputs = names.map((name) => {
    const t = tensors[name]!;
    const shape = t.shape.map((d) => (d < 0 ? 1 : d));
    return { name, datatype: v2Datatype(t.dtype), shape, data: new Array(numel(shape)).fill(t.dtype === 'bool' ? false : 0) };
  });
  return Buffer.from(JSON.stringify({ inputs }));
}

async function call(handler: FaasHandler, path: string, body: Buffer): Promise<{ status: number; body: string }> {
  let status = 200;
  let answer = '';
  const context: FaasContext = {
    status(code) { status = code; return context; },
    headers() { return context; },
    succeed(value) { answer = Buffer.isBuffer(value) ? value.toString('utf8') : String(value); return value; },
  };
  await handler({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body }, context);
  return { status, body: answer };
}

const fail = (why: string) => { console.error(`self-test failed: ${why}`); process.exitCode = 1; };

/** The entry folder's test (exported as `selfTest` by the entry's bundle, which carries no onnxruntime). */
export async function entrySelfTest(dir: string = process.cwd()): Promise<void> {
  try {
    const p = JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as { model: string; inputs: string[]; tensors: Record<string, TensorSpec>; functions: Array<{ urlEnv: string }> };
    // Nothing listens on port 9 (discard) here: the first hop must fail as unreachable.
    const env = Object.fromEntries(p.functions.map((f) => [f.urlEnv, 'http://127.0.0.1:9']));
    const r = await call(openfaasEntry(dir, env), `/v2/models/${encodeURIComponent(p.model)}/infer`, zerosRequest(p.inputs, p.tensors));
    if (r.status !== 502) fail(`the entry answered ${r.status} to a valid request (expected 502: no slice to reach at build time): ${r.body.slice(0, 300)}`);
    else console.log(`self-test: entry '${p.model}' parsed a request and tried its first slice`);
  } catch (err) {
    fail(String((err as Error)?.message ?? err));
  }
}

/**
 * A slice folder's test (exported as `selfTest` by the slice bundle). A one-function deployment's folder (with
 * pipeline.json) is tested as the model's endpoint it is.
 */
export async function sliceSelfTest(dir: string = process.cwd()): Promise<void> {
  try {
    const c = JSON.parse(readFileSync(join(dir, 'function.json'), 'utf8')) as { name: string; inputs: string[]; outputs: string[]; tensors: Record<string, TensorSpec>; weights?: unknown };
    if (c.weights) { console.log(`self-test: slice '${c.name}' fetches its weights at start; no inference at build time`); return; }
    const whole = existsSync(join(dir, 'pipeline.json'))
      ? JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as { model: string; inputs: string[]; outputs: string[]; tensors: Record<string, TensorSpec> }
      : undefined;
    if (whole) {
      const r = await call(openfaasModel(dir), `/v2/models/${encodeURIComponent(whole.model)}/infer`, zerosRequest(whole.inputs, whole.tensors));
      const outputs = r.status === 200 ? (JSON.parse(r.body) as { outputs?: unknown[] }).outputs : undefined;
      if (!outputs || outputs.length !== whole.outputs.length) fail(`model function '${whole.model}' answered ${r.status}: ${r.body.slice(0, 300)}`);
      else console.log(`self-test: model function '${whole.model}' answered an inference (${outputs.length} output(s))`);
      return;
    }
    const r = await call(openfaasFunction(dir), `/v2/models/${encodeURIComponent(c.name)}/infer`, zerosRequest(c.inputs, c.tensors));
    const outputs = r.status === 200 ? (JSON.parse(r.body) as { outputs?: unknown[] }).outputs : undefined;
    if (!outputs || outputs.length !== c.outputs.length) fail(`slice '${c.name}' answered ${r.status}: ${r.body.slice(0, 300)}`);
    else console.log(`self-test: slice '${c.name}' answered an inference (${outputs.length} output(s))`);
  } catch (err) {
    fail(String((err as Error)?.message ?? err));
  }
}
