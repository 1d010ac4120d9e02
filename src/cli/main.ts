/** The `mopar` command line: one file per verb under commands/, errors per CONTRACTS.md. */
import { Command, CommanderError } from 'commander';
import { MoparError, errorMessage } from '../core/index.js';
import { COMMANDS } from './commands/index.js';
import { DEFAULT_PLATFORM } from './options.js';

const debug = process.argv.includes('--debug');

function fail(err: unknown): never {
  if (err instanceof CommanderError) {
    // Help and version are not errors, nor is a bare `mopar` (or `mopar zoo`), which shows the help.
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.stderr.write(`mopar: error: ${err.message.replace(/^error:\s*/i, '')}\n`);
    process.exit(2);
  }
  if (err instanceof MoparError) {
    // One line, always: messages that quote a library's error may carry newlines.
    process.stderr.write(`mopar: error: ${err.message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`mopar: error: internal error: ${errorMessage(err).split('\n')[0]} (run with --debug for details)\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(2);
}

const program = new Command('mopar')
  .description('Partition ONNX models into right-sized serverless functions (MOPAR) and run them.')
  .version('0.1.0')
  .option('--debug', 'show stack traces on errors')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .showSuggestionAfterError(true)
  .addHelpText('after', `
Examples:
  $ mopar demo                                   # the whole path on ResNet-50, unsplit vs partitioned
  $ mopar inspect model.onnx                     # what is in a model
  $ mopar partition model.onnx -o model.parts    # profile + plan + build (default platform ${DEFAULT_PLATFORM})
  $ mopar serve model.parts                      # serve it locally (KServe v2 protocol)
  $ mopar <verb> --help                          # each verb's flags and examples
`);

for (const register of COMMANDS) register(program);
for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: () => {} }).option('--debug', 'show stack traces on errors');

process.on('unhandledRejection', fail);
// A bare `mopar` is a request for help, on stdout like --help.
if (process.argv.length <= 2) {
  program.outputHelp();
  process.exit(0);
}
try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
