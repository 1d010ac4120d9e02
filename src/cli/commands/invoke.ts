import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { MoparError } from '../../core/index.js';
import { errorOf, httpRequest, infer, modelMetadata, randomFeeds, v2Datatype } from '../../runtime/index.js';
import { examples, intOption, jsonOption, printJson, table } from '../options.js';

export function registerInvoke(program: Command): void {
  const cmd = program.command('invoke')
    .description('a client for the gateway (Open Inference Protocol): sends one request and prints the response')
    .argument('<url>', 'gateway address, e.g. http://127.0.0.1:8080')
    .option('--model <name>', 'served model name (default: the only one served)')
    .option('--random', 'random inputs shaped from the model metadata (the default)')
    .option('--input <file>', 'a KServe v2 JSON infer request body')
    .option('--seed <n>', 'seed for --random', intOption('--seed', 0), 1);
  jsonOption(cmd, 'the response as one JSON document');
  examples(cmd, [
    'mopar invoke http://127.0.0.1:8080',
    'mopar invoke http://127.0.0.1:8080 --model resnet50 --input request.json --json',
  ]);
  cmd.action(async (url: string, o: { model?: string; random?: boolean; input?: string; seed: number; json?: boolean }) => {
      if (o.random && o.input) throw new MoparError('give either --random or --input, not both');
      if (!/^https?:\/\//.test(url)) throw new MoparError(`URL must start with http://, got '${url}'`);
      const base = url.replace(/\/+$/, '');
      const model = o.model ?? await onlyModel(base);
      let outputs: Array<{ name: string; datatype: string; shape: number[]; data: ArrayLike<number | bigint> }>;
      let ms: number;
      if (o.input) {
        let body: string;
        try { body = readFileSync(o.input, 'utf8'); } catch (err) { throw new MoparError(`${o.input}: ${(err as Error).message}`); }
        const t0 = performance.now();
        const r = await httpRequest(`${base}/v2/models/${encodeURIComponent(model)}/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        ms = performance.now() - t0;
        if (r.status !== 200) throw new MoparError(`HTTP ${r.status}: ${errorOf(r)}`);
        outputs = (JSON.parse(r.body.toString()) as { outputs: typeof outputs }).outputs;
      } else {
        const meta = await modelMetadata(base, model);
        const r = await infer(base, model, randomFeeds(meta, o.seed));
        ms = r.ms;
        outputs = Object.entries(r.outputs).map(([name, t]) => ({ name, datatype: v2Datatype(t.dtype), shape: t.dims, data: t.data as ArrayLike<number> }));
      }
      if (o.json) {
        printJson({
          model_name: model, ms,
          outputs: outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: Array.from(t.data, Number) })),
        });
        return;
      }
      process.stdout.write(`${model}: ${ms.toFixed(1)} ms\n${table(['output', 'datatype', 'shape', 'first values'], outputs.map((t) => [
        t.name, t.datatype, `[${t.shape.join(', ')}]`, Array.from(t.data).slice(0, 4).map((v) => Number(v).toPrecision(4)).join(' '),
      ]))}\n`);
    });
}

/** The served model when exactly one is served; otherwise an error that lists them. */
async function onlyModel(base: string): Promise<string> {
  let models: string[];
  try {
    const r = await httpRequest(`${base}/v2/models`, { method: 'GET' });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    models = (JSON.parse(r.body.toString()) as { models: string[] }).models;
  } catch (err) {
    throw new MoparError(`cannot list the models served at ${base} (${(err as Error).message}); name one with --model`);
  }
  if (models.length === 1) return models[0]!;
  if (models.length === 0) throw new MoparError(`no model is served at ${base}`);
  throw new MoparError(`${models.length} models are served at ${base} (${models.join(', ')}); choose one with --model`);
}
