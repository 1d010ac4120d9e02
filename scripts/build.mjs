#!/usr/bin/env node
// `npm run build`: compiles into a staging folder next to dist/ and swaps it in with two renames, so that a CLI
// started during a rebuild never reads a half-written file (bin/mopar.js runs dist/ only when dist/.complete,
// written into the staging folder last, is there; between the two renames it runs the sources).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };

/** Runs `compile(outDir)` into a staging folder, then swaps it in as ROOT/dist. Returns false if compile threw. */
export async function buildInto(root, compile) {
  const dist = join(root, 'dist');
  const stage = join(root, `.dist-build-${process.pid}`);
  const old = join(root, `.dist-old-${process.pid}`);
  // Staging folders of builds that were killed midway.
  for (const e of readdirSync(root)) {
    const m = /^\.dist-(?:build|old)-(\d+)$/.exec(e);
    if (m && !alive(Number(m[1]))) rmSync(join(root, e), { recursive: true, force: true });
  }
  try {
    await compile(stage);
  } catch {
    rmSync(stage, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(stage, '.complete'), new Date().toISOString());
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(stage, dist);
  rmSync(old, { recursive: true, force: true });
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const ok = await buildInto(root, (out) => {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'inherit' });
  });
  if (!ok) process.exit(1);
}
