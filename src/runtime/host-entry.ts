/**
 * How to start a host process. From the compiled package: `node dist/runtime/host-main.js`. From the
 * TypeScript sources: the host is bundled once per source version with esbuild (which tsx already brings) into
 * node_modules/.cache/mopar, so each host starts as plain Node — the tsx loader would add ~50 MB of RSS and
 * seconds of cold start to every instance. Falls back to the tsx loader if esbuild is not there.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHART_PACKAGES } from '../core/index.js';

export interface HostEntry { script: string; execArgv: string[] }

let cached: HostEntry | undefined;

export function hostEntry(): HostEntry {
  if (cached) return cached;
  const fromSource = import.meta.url.endsWith('.ts');
  const ext = fromSource ? '.ts' : '.js';
  const main = fileURLToPath(new URL(`./host-main${ext}`, import.meta.url));
  const watch = fileURLToPath(new URL(`./host-watch${ext}`, import.meta.url));
  // The watch on the gateway runs before the host's module graph loads (onnxruntime's native library included):
  // a gateway killed while its hosts start must not wait for them to finish loading (host-watch.ts).
  const watchArgs = (file: string) => ['--import', pathToFileURL(file).href];
  if (!fromSource) return (cached = { script: main, execArgv: watchArgs(watch) });
  const require = createRequire(import.meta.url);
  try {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const build = (entry: string) => esbuild.buildSync({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false,
      // The chart packages are reached only through code a host never runs (core's chart pipeline), but esbuild
      // follows their dynamic imports and fails on resvg's native binding: the host then ran under tsx.
      external: ['onnxruntime-node', 'onnx-buf', '@bufbuild/protobuf', ...CHART_PACKAGES], logLevel: 'silent',
    }).outputFiles[0]!.contents;
    const root = dirname(dirname(dirname(main)));
    const dir = join(root, 'node_modules', '.cache', 'mopar');
    const publish = (prefix: string, code: Uint8Array) => {
      const file = join(dir, `${prefix}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
      if (!existsSync(file)) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${file}.${process.pid}.tmp`, code);
        // Atomic publish: concurrent gateways may race to write the same bundle.
        require('node:fs').renameSync(`${file}.${process.pid}.tmp`, file);
      }
      return file;
    };
    const watchFile = publish('host-watch', build(watch));
    return (cached = { script: publish('host', build(main)), execArgv: watchArgs(watchFile) });
  } catch (err) {
    // Said once: every host of this process then starts slower (the tsx loader: ~50 MB and seconds per start).
    process.stderr.write(`mopar: could not bundle the function host (${(err as Error).message.split('\n')[0]}); hosts start with the tsx loader\n`);
    const loader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
    return (cached = { script: main, execArgv: ['--import', loader, ...watchArgs(watch)] });
  }
}
