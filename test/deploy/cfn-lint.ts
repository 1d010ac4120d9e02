/** cfn-lint (AWS's CloudFormation linter; it expands the SAM transform with AWS's own translator) where installed. */
import { spawnSync } from 'node:child_process';

export interface CfnLint { status: number | null; output: string }

/**
 * Lints FILES in one cfn-lint run; undefined where cfn-lint is not installed. No `cfn-lint --version` probe first:
 * that is a second Python start-up (~2 s) for nothing. Not installed reads as: not on PATH (ENOENT), or a pyenv
 * shim without it (exit 127, which cfn-lint itself never uses: its codes are bit flags 2–32).
 */
export function cfnLint(files: string[]): CfnLint | undefined {
  const r = spawnSync('cfn-lint', files, { encoding: 'utf8', timeout: 120_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || r.status === 127) return undefined;
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? ` (${r.error.message})` : ''}` };
}
