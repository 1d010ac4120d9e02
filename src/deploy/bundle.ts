/**
 * Builds the self-contained runtime module (`mopar-runtime.js`) that every generated function folder carries:
 * the function-host core from src/runtime plus the adapters in ./function-runtime, bundled by esbuild into one
 * CommonJS file (the OpenFaaS node20 template and Lambda both `require` their handler). Compiled from the same
 * sources the embedded runtime uses — no fork of the core.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { CHART_PACKAGES, MoparError, errorMessage } from '../core/index.js';

export const RUNTIME_FILE = 'mopar-runtime.js';

/** 'function': a slice's runtime (with the onnxruntime core); 'gateway': the entry's (HTTP chaining only). */
export type RuntimeKind = 'function' | 'gateway';
const ENTRIES: Record<RuntimeKind, string> = { function: 'slice-bundle', gateway: 'chain-entry-bundle' };
const cached = new Map<RuntimeKind, Promise<string>>();

function entryPath(kind: RuntimeKind): string {
  for (const ext of ['ts', 'js']) {
    const p = fileURLToPath(new URL(`./function-runtime/${ENTRIES[kind]}.${ext}`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new MoparError('the deploy runtime sources (src/deploy/function-runtime) are missing from this installation');
}

/** The onnxruntime-node version the generated package.json files pin (the one mopar itself runs with). */
export function ortVersion(): string {
  const req = createRequire(import.meta.url);
  return (req('onnxruntime-node/package.json') as { version: string }).version;
}

export function runtimeBundle(kind: RuntimeKind = 'function'): Promise<string> {
  let p = cached.get(kind);
  if (!p) {
    p = bundle(kind);
    cached.set(kind, p);
    p.catch(() => cached.delete(kind));
  }
  return p;
}

/**
 * mopar's own modules have no load-time side effects that a function needs, so the bundle keeps only what the
 * entry point reaches: importing a stage's index.ts (e.g. the runtime's protocol module) does not drag in the
 * rest of that stage, nor a `require("onnxruntime-node")` into the entry's runtime, which ships without it. The
 * one exception is a module that exists for its load-time effect: graph/ort-env.ts sets onnxruntime's environment
 * before the native library loads (telemetry off in every function).
 */
const LOAD_TIME_EFFECTS = /[/\\]graph[/\\]ort-env\.[jt]s$/;
const ownModulesArePure: Plugin = {
  name: 'mopar-pure-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'resolving' });
      if (r.errors.length) return { errors: r.errors };
      return { path: r.path, external: r.external, sideEffects: LOAD_TIME_EFFECTS.test(r.path) };
    });
  },
};

/**
 * A module that reads a file beside its own source (`readFileSync(new URL('REL', import.meta.url), 'utf8')`, e.g.
 * the runtime's request schema in docs/schemas) gets that file's text inlined: a function folder carries no
 * docs/, and a CommonJS bundle has no import.meta.url.
 */
const SIBLING_READ = /readFileSync\(new URL\((['"])([^'"]+)\1, import\.meta\.url\), (['"])utf8\3\)/g;
const inlineSiblingFiles: Plugin = {
  name: 'mopar-inline-sibling-files',
  setup(b) {
    // The sources (src/**/*.ts, a checkout) and the compiled CLI (dist/**/*.js, what `npm ci` or an installed
    // package runs) must give the same artifact: both sit two levels below the root, so REL resolves alike.
    b.onLoad({ filter: /[\\/](?:src[\\/].*\.ts|dist[\\/].*\.js)$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const contents = text.replace(SIBLING_READ, (_m, _q: string, rel: string) => JSON.stringify(readFileSync(resolve(dirname(args.path), rel), 'utf8')));
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

/**
 * A CommonJS bundle has no import.meta: esbuild leaves `import_meta = {}`, so a `new URL(…, import_meta.url)` that
 * survived bundling throws "Invalid URL" on the first request that reaches it (every deployed infer did, once).
 * Refuse to write such a bundle rather than ship it.
 */
export function unresolvedFileReads(bundleText: string): string[] {
  return [...bundleText.matchAll(/new URL\(([^()]{0,200}), import_meta\d*\.url\)/g)].map((m) => m[1]!);
}

async function bundle(kind: RuntimeKind): Promise<string> {
  {
    try {
      const res = await build({
        entryPoints: [entryPath(kind)], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
        // Chart packages are reachable only through profile/bench presentation code that the pure-modules rule
        // drops; external, so that esbuild does not try to resolve their native bindings.
        external: ['onnxruntime-node', '@aws-sdk/*', ...CHART_PACKAGES], write: false, logLevel: 'silent', legalComments: 'none', plugins: [ownModulesArePure, inlineSiblingFiles],
        banner: { js: `// mopar ${kind} runtime (generated by \`mopar deploy\`; do not edit).${kind === 'function' ? ` Needs onnxruntime-node ${ortVersion()}.` : ''}` },
      });
      const text = res.outputFiles[0]!.text;
      const unresolved = unresolvedFileReads(text);
      if (unresolved.length) throw new Error(`it still reads ${unresolved.join(', ')} relative to import.meta.url, which a CommonJS bundle does not have`);
      return text;
    } catch (err) {
      throw new MoparError(`could not bundle the ${kind} runtime: ${errorMessage(err)}`);
    }
  }
}
