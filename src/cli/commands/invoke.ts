import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { MoparError } from '../../core/errors.js';
import { errorOf, httpRequest, infer, modelMetadata, randomFeeds, v2Datatype } from '../../runtime/index.js';
import { intOption, printJson, table } from '../options.js';

export function registerInvoke(program: Command): void {
  program.command('invoke')
    .description('a client for the gateway (Open Inference Protocol): sends one request and prints the response')
    .argument('<url>', 'gateway address, e.g. http://127.0.0.1:8080')
    .requiredOption('--model <name>', 'served model name')
    .option('--random', 'random inputs shaped from the model metadata (the default)')
    .option('--input <file>', 'a KServe v2 JSON infer request body')
    .option('--seed <n>', 'seed for --random', intOption('--seed', 0), 1)
    .option('--json', 'print one JSON document (the response)')
    .action(async (url: string, o: { model: string; random?: boolean; input?: string; seed: number; json?: boolean }) => {
      if (o.random && o.input) throw new MoparError('give either --random or --input, not both');
      if (!/^https?:\/\//.test(url)) throw new MoparError(`URL must start with http://, got '${url}'`);
      const base = url.replace(/\/+$/, '');
      let outputs: Array<{ name: string; datatype: string; shape: number[]; data: ArrayLike<number | bigint> }>;
      let ms: number;
      if (o.input) {
        let body: string;
        try { body = readFileSync(o.input, 'utf8'); } catch (err) { throw new MoparError(`${o.input}: ${(err as Error).message}`); }
        const t0 = performance.now();
        const r = await httpRequest(`${base}/v2/models/${encodeURIComponent(o.model)}/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        ms = performance.now() - t0;
        if (r.status !== 200) throw new MoparError(`HTTP ${r.status}: ${errorOf(r)}`);
        outputs = (JSON.parse(r.body.toString()) as { outputs: typeof outputs }).outputs;
      } else {
        const meta = await modelMetadata(base, o.model);
        const r = await infer(base, o.model, randomFeeds(meta, o.seed));
        ms = r.ms;
        outputs = Object.entries(r.outputs).map(([name, t]) => ({ name, datatype: v2Datatype(t.dtype), shape: t.dims, data: t.data as ArrayLike<number> }));
      }
      if (o.json) {
        printJson({
          model_name: o.model, ms,
          outputs: outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: Array.from(t.data, Number) })),
        });
        return;
      }
      process.stdout.write(`${o.model}: ${ms.toFixed(1)} ms\n${table(['output', 'datatype', 'shape', 'first values'], outputs.map((t) => [
        t.name, t.datatype, `[${t.shape.join(', ')}]`, Array.from(t.data).slice(0, 4).map((v) => Number(v).toPrecision(4)).join(' '),
      ]))}\n`);
    });
}
