#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` / `npm run build`). With MOPAR_FROM_SOURCE=1 (tests, a
// checkout being edited) it still uses dist/ when dist/ is newer than every source file, because starting from
// compiled JS is seconds faster than compiling with tsx on each start; otherwise it runs the sources via tsx.
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
  if (!process.env.MOPAR_FROM_SOURCE) return true;
  if (process.env.MOPAR_FROM_SOURCE === 'force') return false;
  return statSync(compiled).mtimeMs >= newestMtime(join(root, 'src')) && existsSync(join(root, 'dist', '.complete'))
    && statSync(join(root, 'dist', '.complete')).mtimeMs >= newestMtime(join(root, 'src'));
}

if (distIsFresh()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
