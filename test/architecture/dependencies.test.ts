/**
 * The layout rule of README and docs/architecture.md, checked on every test run: a folder of src/ is a stage
 * with one public entry (index.ts, re-exports only); another stage imports it only through that entry; and no
 * stage imports a later one. The bench scripts (bench/*.ts) use src through the stage entries too. Read with
 * the TypeScript parser (static imports, `export … from`, `import()`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layers, earliest first: a stage may import stages of earlier layers only. Data flows graph → profile →
 * plan → partition → runtime → deploy; core (shared utilities) and codec (tensor bytes) serve them; zoo
 * makes models with graph; bench drives everything; cli fronts everything.
 */
export const LAYERS: string[][] = [
  ['core'], ['graph'], ['codec', 'zoo'], ['profile'], ['plan'], ['partition'], ['runtime'], ['deploy'], ['bench'], ['cli'],
];

/**
 * A stage's public entries: index.ts, and optionally lean.ts, a subset for processes and bundles that must stay
 * small (function hosts, the deployed function bundle: no ONNX protobuf code, no gateway). Both re-export only.
 */
export const ENTRIES = ['index.ts', 'lean.ts'];

export interface Violation { file: string; line: number; rule: string; detail: string }

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Module specifiers of a file: import/export declarations and `import('…')` calls, with their lines. */
function specifiers(file: string, text: string): Array<{ spec: string; line: number }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ spec: string; line: number }> = [];
  const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ spec: n.moduleSpecifier.text, line: at(n) });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push({ spec: n.arguments[0].text, line: at(n) });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ spec: n.argument.literal.text, line: at(n) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Statements of an index.ts that are not re-exports (`export … from '…'`). */
function logicIn(file: string, text: string): Array<{ line: number; text: string }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  return sf.statements
    .filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier))
    .map((s) => ({ line: sf.getLineAndCharacterOfPosition(s.getStart(sf)).line + 1, text: s.getText(sf).split('\n')[0]!.slice(0, 80) }));
}

/** Every violation of the layout rule under `srcDir`. */
export function checkLayout(srcDir: string, layers = LAYERS): Violation[] {
  const rank = new Map<string, number>();
  layers.forEach((stages, i) => stages.forEach((s) => rank.set(s, i)));
  const stageOf = (p: string) => relative(srcDir, p).split(sep)[0]!;
  const violations: Violation[] = [];
  for (const stage of readdirSync(srcDir).filter((n) => statSync(join(srcDir, n)).isDirectory())) {
    if (!rank.has(stage)) violations.push({ file: stage, line: 0, rule: 'unknown stage', detail: `src/${stage} is in no layer (add it to LAYERS)` });
  }
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(srcDir, file).split(sep).join('/');
    const from = stageOf(file);
    if (ENTRIES.some((e) => rel === `${from}/${e}`)) {
      for (const s of logicIn(file, text)) violations.push({ file: rel, line: s.line, rule: 'entry holds logic', detail: s.text });
    }
    for (const { spec, line } of specifiers(file, text)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      const to = stageOf(target);
      if (to === from) continue;
      const targetRel = relative(srcDir, target).split(sep).join('/');
      if (!ENTRIES.some((e) => targetRel === `${to}/${e}`)) {
        violations.push({ file: rel, line, rule: 'deep import', detail: `${spec} (import from '${to}/index.js' or '${to}/lean.js')` });
      }
      const [a, b] = [rank.get(from), rank.get(to)];
      if (a !== undefined && b !== undefined && b >= a) {
        violations.push({ file: rel, line, rule: 'later stage', detail: `${from} imports ${to}` });
      }
    }
  }
  return violations;
}

/**
 * Every violation of the layout rule by the bench scripts (`benchDir/*.ts`): they use src only through stage
 * entries (index.ts or lean.ts), as an outside user would, and never test helpers (what they share with the tests
 * lives in src). Sibling bench files are fine.
 */
export function checkBenchScripts(benchDir: string, srcDir: string): Violation[] {
  const violations: Violation[] = [];
  const files = readdirSync(benchDir).filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts')).sort().map((n) => join(benchDir, n));
  for (const file of files) {
    const rel = relative(dirname(benchDir), file).split(sep).join('/');
    for (const { spec, line } of specifiers(file, readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      const inSrc = relative(srcDir, target);
      if (!inSrc.startsWith('..')) {
        const [stage, ...rest] = inSrc.split(sep);
        if (!(rest.length === 1 && ENTRIES.includes(rest[0]!))) {
          violations.push({ file: rel, line, rule: 'deep import', detail: `${spec} (import from 'src/${stage}/index.js' or 'src/${stage}/lean.js')` });
        }
      } else if (relative(benchDir, target).startsWith('..')) {
        violations.push({ file: rel, line, rule: 'outside src', detail: `${spec} (a bench script uses src's stage entries only; move a shared helper into src)` });
      }
    }
  }
  return violations;
}

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const SRC = join(ROOT, 'src');

test('src/: cross-stage imports go through index.ts, index.ts only re-exports, no stage imports a later one', () => {
  const v = checkLayout(SRC);
  assert.deepEqual(v.map((x) => `src/${x.file}:${x.line}: ${x.rule}: ${x.detail}`), []);
});

test('bench/*.ts: src only through stage entries, no test helpers', () => {
  const v = checkBenchScripts(join(ROOT, 'bench'), SRC);
  assert.deepEqual(v.map((x) => `${x.file}:${x.line}: ${x.rule}: ${x.detail}`), []);
});

test('the bench check fails on a deep import and on a test helper (a planted tree)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mopar-layout-bench-'));
  try {
    const put = (p: string, text: string) => { mkdirSync(dirname(join(root, p)), { recursive: true }); writeFileSync(join(root, p), text); };
    put('src/core/index.ts', "export * from './a.js';\n");
    put('src/core/a.ts', 'export const a = 1;\n');
    put('src/graph/lean.ts', 'export const g = 1;\n');
    put('test/helpers.ts', 'export const h = 1;\n');
    put('bench/util.ts', 'export const u = 1;\n');
    put('bench/ok.ts', "import { a } from '../src/core/index.js';\nimport { g } from '../src/graph/lean.js';\nimport { u } from './util.js';\nexport const x = a + g + u;\n");
    put('bench/bad.ts', "import { a } from '../src/core/a.js';\nimport { h } from '../test/helpers.js';\nexport const y = () => import('../src/core/a.js').then(() => a + h);\n");
    const seen = checkBenchScripts(join(root, 'bench'), join(root, 'src')).map((x) => `${x.file}:${x.line} ${x.rule}`);
    assert.deepEqual(seen, ['bench/bad.ts:1 deep import', 'bench/bad.ts:2 outside src', 'bench/bad.ts:3 deep import']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the check fails on each kind of violation (a planted tree)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mopar-layout-'));
  try {
    const put = (p: string, text: string) => { mkdirSync(dirname(join(root, p)), { recursive: true }); writeFileSync(join(root, p), text); };
    put('core/index.ts', "export * from './a.js';\n");
    put('core/a.ts', 'export const a = 1;\n');
    put('graph/index.ts', "export { g } from './g.js';\nexport function helper() { return 1; }\n");
    put('graph/g.ts', "import { a } from '../core/a.js';\nimport type { p } from '../profile/index.js';\nexport const g = a;\n");
    put('profile/index.ts', "export const p = 1;\n");
    put('extra/index.ts', "export * from './e.js';\n");
    put('profile/x.ts', "import { g } from '../graph/index.js';\nexport const x = () => import('../graph/g.js').then(() => g);\n");
    put('graph/lean.ts', "export { g } from './g.js';\nconst x = 1;\n");
    put('profile/y.ts', "import { g } from '../graph/lean.js';\nexport const y = g;\n");
    const v = checkLayout(root, [['core'], ['graph'], ['profile']]);
    const seen = v.map((x) => `${x.file} ${x.rule}`).sort();
    assert.deepEqual(seen, [
      'extra unknown stage',
      'graph/g.ts deep import',
      'graph/g.ts later stage',
      'graph/index.ts entry holds logic',
      'graph/lean.ts entry holds logic',
      'profile/index.ts entry holds logic',
      'profile/x.ts deep import',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Files are read whole by people: one concept per file, and the gateway (the request path's hub) smaller still. */
const MAX_LINES = 400;
const MAX_LINES_OF: Record<string, number> = { 'runtime/gateway.ts': 300 };

test(`src/: no source file over ${MAX_LINES} lines (runtime/gateway.ts at most 300)`, () => {
  const over = walk(SRC).map((f) => ({ f: relative(SRC, f).split(sep).join('/'), n: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(({ f, n }) => n > (MAX_LINES_OF[f] ?? MAX_LINES)).map(({ f, n }) => `${f}: ${n} lines`);
  assert.deepEqual(over, []);
});
