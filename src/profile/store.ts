/** Profiles on disk: plain JSON, keyed by the model's content hash so a stale one is rejected. */
import { writeFileSync } from 'node:fs';
import { MoparError, errorMessage, readJsonFile, validate } from '../core/index.js';
import { PROFILE_VERSION, type Profile } from './types.js';

export function saveProfile(profile: Profile, path: string): void {
  try {
    writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`);
  } catch (err) {
    throw new MoparError(`cannot write profile ${path}: ${errorMessage(err)}`);
  }
}

/** Reads a profile; with `expectedModelHash`, rejects one made for a different model file. */
export function loadProfile(path: string, expectedModelHash?: string): Profile {
  const p = readJsonFile(path, 'profile file') as Partial<Profile>;
  if (!p || typeof p !== 'object' || p.kind !== 'mopar.profile') {
    throw new MoparError(`${path} is not a mopar profile (no "kind": "mopar.profile")`);
  }
  if (p.version !== PROFILE_VERSION) {
    const why = p.version === 1 ? 'version 1 layers may cut between operators onnxruntime fuses'
      : p.version === 2 || p.version === 3 ? 'it was made before constant subgraphs were folded into weights, so it may name nodes that are gone'
      : undefined;
    throw new MoparError(`profile ${path} has version ${String(p.version)}; this mopar reads version ${PROFILE_VERSION}` +
      (why ? ` (${why}; profile the model again)` : ''));
  }
  validate<Profile>('profile', p, `profile ${path}`);
  if (expectedModelHash && p.modelHash !== expectedModelHash) {
    throw new MoparError(
      `profile ${path} is stale: it was made for model hash ${p.modelHash!.slice(0, 12)}…, ` +
      `but the model now hashes to ${expectedModelHash.slice(0, 12)}… (profile it again)`);
  }
  return p as Profile;
}
