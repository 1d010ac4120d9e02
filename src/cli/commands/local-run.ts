import type { Command } from 'commander';
import { localRun, INSTALL_MODES, type InstallMode } from '../../deploy/index.js';
import { MoparError, log } from '../../core/index.js';
import { examples, jsonOption, printJson } from '../options.js';

export function registerLocalRun(program: Command): void {
  const cmd = program.command('local-run')
    .description('run a deploy output folder (any target) on this machine from its generated files, and serve its entry over the Open Inference Protocol')
    .argument('<out>', 'a folder written by mopar deploy')
    .option('--port <n>', 'port of the entry (0 = any free one)', (v: string) => {
      if (!/^\d{1,5}$/.test(v.trim()) || Number(v) > 65535) throw new MoparError(`--port must be an integer from 0 to 65535 (0 = any free port), got '${v}'`);
      return Number(v);
    }, 8080)
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--install <how>', `how each function's dependencies are installed: link (the packages mopar runs with, checked against the pinned versions) | npm (the image's own npm install line, needs the registry)`, 'link')
    .option('--no-limits', 'do not enforce each function\'s memory limit and CPU quota with cgroups')
    .option('--verbose', 'print every function\'s own output on stderr');
  jsonOption(cmd);
  examples(cmd, [
    'mopar deploy model.parts --target openfaas -o deploy/openfaas && mopar local-run deploy/openfaas --port 8080',
    'mopar invoke http://127.0.0.1:8080 --input deploy/openfaas/request.json --json',
  ]);
  cmd.action(async (out: string, o: { port: number; host: string; install: string; limits: boolean; verbose?: boolean; json?: boolean }) => {
    if (!(INSTALL_MODES as readonly string[]).includes(o.install)) throw new MoparError(`--install must be one of: ${INSTALL_MODES.join(', ')}, got '${o.install}'`);
    // Signals are handled from the start: a stop while functions start removes everything started so far.
    const starting = new AbortController();
    let stop: () => void = () => starting.abort();
    const onSignal = () => stop();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const run = await localRun(out, { port: o.port, host: o.host, install: o.install as InstallMode, limits: o.limits, signal: starting.signal, log: o.verbose ? (l) => process.stderr.write(`${l}\n`) : undefined });
    for (const n of run.notes) log(`note: ${n}`);
    if (o.json) printJson({ url: run.url, target: run.target, model: run.model, startMs: Math.round(run.startMs), functions: run.functions.map((f) => ({ ...f, readyMs: Math.round(f.readyMs) })), notes: run.notes });
    else {
      log(`${run.target}: ${run.functions.length} function(s) of '${run.model}' started in ${(run.startMs / 1000).toFixed(1)} s (${run.functions.map((f) => `${f.name} ${Math.round(f.readyMs)} ms${f.limited ? '' : ', no limits'}`).join('; ')})`);
      process.stdout.write(`listening ${run.url}\n`);
    }
    let stopping = false;
    stop = () => {
      if (stopping) process.exit(1);
      stopping = true;
      run.close().then(() => process.exit(0), (err: unknown) => { log(`mopar local-run: ${(err as Error).message}`); process.exit(1); });
    };
  });
}
