/**
 * `buildPartition`: a plan → one standalone ONNX file per function (named by content hash, so identical slices
 * are stored once) + manifest.json, the dataflow graph of functions connected by tensor names.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MoparError, sha256, threadsFor, log } from '../core/index.js';
import { varyingDims, concreteShape, encodeModel, encodeWithExternalData, extractModel, openModel, tensorBytes, create, GraphProtoSchema, ModelProtoSchema, valueInfo, withSymbolicBatch, splitRun, tensorByteSize, type DType, type Graph, type ModelProto, type SplitJoin } from '../graph/index.js';
import type { Plan, PlanFunction } from '../plan/index.js';
import { applyJoins, joinModel } from './joins.js';
import { checkPlan } from './plan-check.js';
import type { Manifest, ManifestEdge, ManifestFunction, TensorSpec } from './types.js';

/** Tensors from this size go to a slice's external data file (onnx's own convert_model_to_external_data default). */
const EXTERNAL_MIN_BYTES = 1024;

export interface BuildOptions {
  /** Print one line per function to stderr. */
  verbose?: boolean;
}

interface Built { fn: PlanFunction | undefined; name: string; group: string; model: ModelProto; nodeCount: number;
  split?: ManifestFunction['split']; weightsBytes: number }

export async function buildPartition(modelPath: string, plan: Plan, outDir: string, opts: BuildOptions = {}): Promise<Manifest> {
  const { loaded, graph: g, inputShapes } = await openModel(modelPath, plan.inputShapes ?? {}, { ranges: plan.inputRanges });
  if (plan.modelHash && plan.modelHash !== loaded.hash) {
    throw new MoparError(`plan was made for another model (hash ${plan.modelHash.slice(0, 12)}…) than ${modelPath} (${loaded.hash.slice(0, 12)}…)`);
  }
  const groups = checkPlan(g, plan);
  const built: Built[] = [];
  const joins = new Map<string, SplitJoin>();
  const joinsByGroup = new Map<string, SplitJoin[]>();
  for (const gr of groups) {
    if (gr.piece.outputs.length === 0) { log(`build: group '${gr.id}' produces nothing used later; skipped`); continue; }
    if (!gr.split) {
      const fn = gr.functions[0]!;
      const { model, piece } = extractModel(g, gr.nodes, { graphName: fn.name });
      built.push({ fn, name: fn.name, group: gr.id, model, nodeCount: piece.nodes.length, weightsBytes: weightsOf(model) });
      continue;
    }
    // Parts slice bands at the sizes they are cut at: a ranged dim would make them wrong at any other size.
    if (varyingDims(g).length) throw new MoparError(`group '${gr.id}' is split horizontally, which a model with --input ranges cannot be (plan it again)`);
    const res = splitRun(g, gr.nodes, gr.split);
    res.parts.forEach((p, i) => {
      const fn = gr.functions[i]!;
      built.push({ fn, name: fn.name, group: gr.id, model: p.model, nodeCount: gr.piece.nodes.length,
        split: { kind: res.kind, index: i, parts: res.parts.length, axis: res.axis }, weightsBytes: p.weightsBytes });
    });
    for (const j of res.joins) joins.set(j.tensor, j);
    joinsByGroup.set(gr.id, res.joins);
  }
  // Model outputs nobody computes: initializers or Constant tensors exposed as outputs.
  const producedBy = new Set(built.flatMap((b) => b.model.graph!.output.map((o) => o.name)));
  const orphans = g.outputs.filter((o) => !producedBy.has(o) && !joins.has(o) && !g.inputs.includes(o));
  if (orphans.length) built.push(constFunction(g, orphans));
  // Consumers concatenate split tensors; split model outputs get a join function.
  const joinedBy = new Map<string, string[]>();
  for (const b of built) joinedBy.set(b.name, applyJoins(b.model, joins));
  for (const [group, js] of joinsByGroup) {
    const outs = js.filter((j) => g.outputs.includes(j.tensor));
    if (!outs.length) continue;
    const name = `${group}.join`;
    built.push({ fn: undefined, name, group: name, model: joinModel(g.model, outs, name), nodeCount: 0, weightsBytes: 0 });
    joinedBy.set(name, outs.map((j) => j.tensor));
  }

  for (const b of built) withSymbolicBatch(g, b.model);

  mkdirSync(outDir, { recursive: true });
  const files = new Set<string>();
  let filesBytes = 0;
  let deduped = 0;
  const functions: ManifestFunction[] = built.map((b) => {
    // A source that kept its weights outside the .onnx gets slices that do too (each with only its own weights).
    const ext = loaded.hadExternalData ? encodeWithExternalData(b.model, (h) => `${h.slice(0, 20)}.data`, EXTERNAL_MIN_BYTES) : undefined;
    const data = ext && ext.dataBytes > 0 ? ext : undefined;
    const bytes = data ? data.onnx : encodeModel(b.model);
    const hash = sha256(bytes);
    const file = `${hash.slice(0, 20)}.onnx`;
    if (files.has(file)) deduped++;
    else {
      files.add(file);
      filesBytes += bytes.length;
      if (!existsSync(join(outDir, file))) writeFileSync(join(outDir, file), bytes);
    }
    if (data && !files.has(data.dataFile)) {
      files.add(data.dataFile);
      filesBytes += data.dataBytes;
      if (!existsSync(join(outDir, data.dataFile))) data.writeData(join(outDir, data.dataFile));
    }
    const vcpu = b.fn?.vcpu ?? minVcpu(plan);
    const mf: ManifestFunction = {
      name: b.name, file, sha256: hash,
      inputs: b.model.graph!.input.map((i) => i.name), outputs: b.model.graph!.output.map((o) => o.name),
      group: b.group, memoryMB: b.fn?.memoryMB ?? minMemory(plan), vcpu, threads: threadsFor(vcpu),
      weightsBytes: b.weightsBytes, predictedMs: b.fn?.predicted?.ms ?? 0, nodeCount: b.nodeCount,
    };
    if (b.split) mf.split = b.split;
    if (data) mf.data = { file: data.dataFile, sha256: data.dataSha256, bytes: data.dataBytes };
    const j = joinedBy.get(b.name);
    if (j?.length) mf.joins = j;
    if (opts.verbose) log(`build: ${b.name.padEnd(24)} ${file}  ${((bytes.length + (data?.dataBytes ?? 0)) / 2 ** 20).toFixed(2)} MiB${data ? ` (+ ${data.dataFile})` : ''}  in [${mf.inputs.length}] out [${mf.outputs.length}]`);
    return mf;
  });

  const tensors: Record<string, TensorSpec> = {};
  const spec = (name: string): TensorSpec => {
    if (tensors[name]) return tensors[name]!;
    const base = [...joins.values()].find((j) => j.parts.includes(name));
    const t = base
      ? { dtype: base.dtype as DType, shape: base.partShapes[base.parts.indexOf(name)]! }
      : { dtype: (g.tensors.get(name)?.dtype ?? 'float32') as DType, shape: inputShapes[name] ?? concreteShape(g, name) };
    tensors[name] = t;
    return t;
  };
  // Model inputs and outputs keep a dynamic batch as -1 (as KServe metadata shows it); edges are sized at the
  // built batch.
  const published = (name: string): TensorSpec => {
    const t = spec(name);
    const whole = g.tensors.get(name.replace(/\.part\d+of\d+$/, ''));
    const sym = whole?.symbolicShape;
    if (!sym || sym.length !== t.shape.length) return t;
    return { dtype: t.dtype, shape: t.shape.map((d, i) => (typeof sym[i] === 'string' && d === whole.shape?.[i] ? -1 : d)) };
  };
  const edges = edgesOf(functions, g, plan, spec);
  for (const n of [...g.inputs, ...g.outputs]) spec(n);
  for (const n of Object.keys(tensors)) tensors[n] = published(n);
  const manifest: Manifest = {
    kind: 'mopar.manifest', version: 1,
    model: plan.model || basename(modelPath).replace(/\.onnx$/, ''), modelHash: loaded.hash,
    platform: plan.platform, strategy: plan.strategy,
    // The limit the plan sized memory for; only a dynamic batch needs one (a fixed one is in the shapes).
    ...(plan.maxBatch !== undefined && g.batch?.dynamic ? { maxBatch: plan.maxBatch } : {}),
    // Dims a request may vary within (published as -1 in `tensors`); everything was sized at their top.
    ...(g.ranges ? { ranges: g.ranges } : {}),
    inputs: g.inputs, outputs: g.outputs, tensors, functions, edges,
    inputShapes, filesBytes, dedupedFiles: deduped,
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function edgesOf(functions: ManifestFunction[], g: Graph, plan: Plan, spec: (n: string) => TensorSpec): ManifestEdge[] {
  const producer = new Map<string, string>();
  for (const f of functions) for (const o of f.outputs) producer.set(o, f.name);
  const planTransport = new Map((plan.edges ?? []).map((e) => [e.tensor, e.transport]));
  const edges = new Map<string, ManifestEdge>();
  const edge = (tensor: string): ManifestEdge => {
    let e = edges.get(tensor);
    if (!e) {
      const from = producer.get(tensor) ?? (g.inputs.includes(tensor) ? '$input' : undefined);
      if (!from) throw new MoparError(`internal: no function produces tensor '${tensor}'`);
      const s = spec(tensor);
      const base = tensor.replace(/\.part\d+of\d+$/, '');
      e = { tensor, from, to: [], bytes: tensorBytes(s.dtype, s.shape), transport: planTransport.get(tensor) ?? planTransport.get(base) ?? 'inline' };
      edges.set(tensor, e);
    }
    return e;
  };
  for (const f of functions) for (const i of f.inputs) edge(i).to.push(f.name);
  for (const o of g.outputs) edge(o).to.push('$output');
  return [...edges.values()];
}

/** Outputs that are weights (initializers / Constant tensors) come from a function holding just them. */
function constFunction(g: Graph, outs: string[]): Built {
  const constNodes = outs.map((o) => g.tensors.get(o)?.producer).filter((p): p is string => !!p);
  const inits = outs.filter((o) => g.initializers.has(o));
  const model = constNodes.length
    ? extractModel(g, constNodes, { onlyOutputs: outs.filter((o) => !inits.includes(o)) }).model
    : create(ModelProtoSchema, { irVersion: g.model.irVersion, opsetImport: g.model.opsetImport, producerName: 'mopar', graph: create(GraphProtoSchema, { name: 'outputs.const' }) });
  for (const i of inits) {
    model.graph!.initializer.push(g.initializers.get(i)!);
    model.graph!.output.push(valueInfo(g, i));
  }
  return { fn: undefined, name: 'outputs.const', group: 'outputs.const', model, nodeCount: constNodes.length, weightsBytes: weightsOf(model) };
}

function weightsOf(model: ModelProto): number {
  let n = 0;
  for (const t of model.graph!.initializer) n += tensorByteSize(t);
  for (const node of model.graph!.node) for (const a of node.attribute) if (a.t) n += tensorByteSize(a.t);
  return n;
}

const minVcpu = (plan: Plan) => Math.min(...plan.functions.map((f) => f.vcpu || 1));
const minMemory = (plan: Plan) => Math.min(...plan.functions.map((f) => f.memoryMB || 128));
