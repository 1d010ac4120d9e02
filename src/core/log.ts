/** Progress and logs go to stderr so that `--json` output on stdout stays one clean document. */
export function log(message: string): void {
  if (process.env.MOPAR_QUIET) return;
  process.stderr.write(`${message}\n`);
}
