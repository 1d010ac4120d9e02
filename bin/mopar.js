#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` / `npm run build`) when it is newer than every source file,
// because starting compiled JS is seconds faster than compiling with tsx; in a checkout being edited (dist/ older
// than src/) it runs the sources via tsx, so nobody runs stale code. MOPAR_FROM_SOURCE=force always uses src/.
// dist/ is never half-written: scripts/build.mjs compiles elsewhere and swaps the folder in.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiled = join(root, 'dist', 'cli', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  if (!existsSync(compiled)) return false;
  if (process.env.MOPAR_FROM_SOURCE === 'force') return false;
  // An installed package has no sources to be stale against.
  if (!existsSync(join(root, 'src'))) return true;
  const marker = join(root, 'dist', '.complete');
  return existsSync(marker) && statSync(marker).mtimeMs >= newestMtime(join(root, 'src'));
}

async function runSources() {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}

if (distIsFresh()) {
  try {
    await import(pathToFileURL(compiled).href);
  } catch (err) {
    // `npm run build` swaps dist/ in with two renames (scripts/build.mjs): a start that falls between them finds
    // modules missing. Such errors come from loading, before main.js runs (it handles its own errors).
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' && !(err instanceof SyntaxError)) throw err;
    await runSources();
  }
} else {
  await runSources();
}
