/**
 * Lays out one function as its image or zip holds it — the generated folder copied as it is, its dependencies
 * beside it — in a run folder of `local-run`. Dependencies come one of two ways:
 * - 'link' (default): the packages mopar itself runs with, linked in, after checking that each is the exact
 *   version the function's package.json pins (the same package the registry would serve); fast and offline.
 * - 'npm': the image's own install line (`leanInstall`, the one its Dockerfile/Makefile runs) in that folder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MoparError, errorMessage } from '../../core/index.js';
import { leanInstall } from '../folder.js';

export type InstallMode = 'link' | 'npm';
export const INSTALL_MODES: readonly InstallMode[] = ['link', 'npm'];

/** Copies a folder; big files are hard-linked where the file system allows (model files can be gigabytes). */
export function copyFolder(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) copyFolder(src, dst);
    else if (e.isFile()) {
      if (statSync(src).size >= 1 << 20) {
        try { linkSync(src, dst); continue; } catch { /* another file system: copy */ }
      }
      copyFileSync(src, dst);
    }
  }
}

/** The folder of package `name` as mopar itself resolves it. */
function ownPackageDir(name: string): string {
  const req = createRequire(import.meta.url);
  // A package's package.json is not always exported: walk up from its resolved main file instead.
  let dir = dirname(req.resolve(name));
  for (;;) {
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pj.name === name) return realpathSync(dir);
    } catch { /* keep walking */ }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${name}'s folder`);
    dir = up;
  }
}

function link(appDir: string, name: string, wanted?: string): void {
  let dir: string;
  try {
    dir = ownPackageDir(name);
  } catch (err) {
    throw new MoparError(`local-run: ${name} is not installed with mopar (${errorMessage(err)}); use --install npm`);
  }
  const have = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (wanted && have !== wanted) throw new MoparError(`local-run: the function pins ${name} ${wanted} but mopar has ${have}; use --install npm to install the pinned version`);
  const at = join(appDir, 'node_modules', name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(dir, at, 'dir');
}

/**
 * Installs the dependencies of the package.json in `appDir`, plus `provided` (packages the platform's runtime
 * itself provides: the AWS SDK on Lambda's Node.js runtimes).
 */
export function installDependencies(appDir: string, mode: InstallMode, provided: readonly string[] = []): void {
  const pj = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const deps = pj.dependencies ?? {};
  if (mode === 'npm' && Object.keys(deps).length) {
    try {
      execFileSync('/bin/sh', ['-c', leanInstall('"$(node -p process.arch)"')], { cwd: appDir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
    } catch (err) {
      throw new MoparError(`local-run: npm install failed in ${appDir}: ${errorMessage(err).split('\n').slice(-3).join(' ')}`);
    }
  } else {
    for (const [name, version] of Object.entries(deps)) link(appDir, name, /^\d+\.\d+\.\d+/.test(version) ? version : undefined);
  }
  for (const name of provided) if (!(name in deps)) link(appDir, name);
}
