/**
 * Errors a user can act on. The CLI prints them as one line (`mopar: error: ...`) with the exit code below;
 * anything else is a bug and shows its stack only under --debug.
 */
export class MoparError extends Error {
  /** 2: bad argument, missing/malformed file, unsupported model. */
  readonly exitCode: number = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MoparError';
  }
}

/** A check that ran and failed (e.g. `verify` out of tolerance): exit code 1. */
export class CheckFailedError extends MoparError {
  override readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailedError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
