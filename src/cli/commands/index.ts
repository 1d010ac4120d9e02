import type { Command } from 'commander';
import { registerInspect } from './inspect.js';

/** Every verb registers itself here; one file per verb. */
export const COMMANDS: Array<(program: Command) => void> = [
  registerInspect,
];
