import { MoparError } from '../core/index.js';

/** Malformed tensor bytes, frames or values: the sender's fault, so HTTP front ends answer 400 (status). */
export class CodecError extends MoparError {
  constructor(message: string, readonly status = 400) {
    super(message);
    this.name = 'CodecError';
  }
}
