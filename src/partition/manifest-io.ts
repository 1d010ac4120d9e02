/** Reading manifest.json back, with clear errors for a missing or malformed partition directory. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MoparError, errorMessage } from '../core/errors.js';
import type { Manifest } from './types.js';

export function loadManifest(dir: string): Manifest {
  if (!existsSync(dir)) throw new MoparError(`partition directory not found: ${dir}`);
  const file = statSync(dir).isDirectory() ? join(dir, 'manifest.json') : dir;
  if (!existsSync(file)) throw new MoparError(`${dir} has no manifest.json (build it with 'mopar build' or 'mopar partition')`);
  let m: Manifest;
  try { m = JSON.parse(readFileSync(file, 'utf8')) as Manifest; } catch (err) {
    throw new MoparError(`${file} is not valid JSON (${errorMessage(err)})`);
  }
  if (m?.kind !== 'mopar.manifest' || !Array.isArray(m.functions) || !Array.isArray(m.inputs) || !Array.isArray(m.outputs)) {
    throw new MoparError(`${file} is not a mopar manifest (expected kind 'mopar.manifest' with functions, inputs, outputs)`);
  }
  const produced = new Set(m.inputs);
  for (const f of m.functions) {
    if (!f.name || !f.file || !Array.isArray(f.inputs) || !Array.isArray(f.outputs)) {
      throw new MoparError(`${file}: function entry ${JSON.stringify(f?.name)} lacks name, file, inputs or outputs`);
    }
    for (const o of f.outputs) produced.add(o);
  }
  for (const f of m.functions) {
    for (const i of f.inputs) if (!produced.has(i)) throw new MoparError(`${file}: function '${f.name}' reads '${i}', which no function produces`);
  }
  for (const o of m.outputs) if (!produced.has(o)) throw new MoparError(`${file}: model output '${o}' is produced by no function`);
  return m;
}

/** Directory holding the manifest (for resolving function files). */
export function manifestDir(dir: string): string {
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : join(dir, '..');
}
