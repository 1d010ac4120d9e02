/**
 * The one validation layer for the files (and bodies) mopar reads: JSON Schemas published under docs/schemas/
 * (so users and other tools can check their files too), compiled once by ajv. A value that does not fit gets a
 * MoparError naming the file and the first offending field (`plan.json: functions[0].memoryMB must be a
 * number`), never a TypeError further down.
 *
 * Usage: `validate<Plan>('plan', JSON.parse(text), 'plan.json')` checks against docs/schemas/plan.schema.json;
 * `readJsonFile(path, 'plan', 'plan file')` also turns a missing file or bad JSON into a clear error. A new
 * schema is a new file in docs/schemas/ named `<name>.schema.json`; nothing else to register.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MoparError, errorMessage } from './errors.js';

/** docs/schemas/ of this installation (src/core and dist/core both sit two levels below the root). */
export function schemaDir(): string {
  // Resolved on first use, not on import: a bundled deployed runtime imports core without ever validating.
  // A CommonJS bundle has no import.meta.url: there, a schema not provided (provideSchema) is a clear error.
  const here: string | undefined = import.meta.url;
  if (!here) throw new MoparError('this bundled runtime carries no docs/schemas/ (the schema was not provided to it)');
  return fileURLToPath(new URL('../../docs/schemas/', here));
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
const provided = new Map<string, () => object>();

/**
 * Supplies a schema's text from the module that uses it instead of from docs/schemas/ at run time. A bundled
 * deployed function carries no docs/ folder (and a CommonJS bundle has no import.meta.url), so a module that is
 * bundled reads its schema with `readFileSync(new URL(..., import.meta.url), 'utf8')`, which the deploy bundler
 * inlines, and provides it here.
 */
export function provideSchema(schemaName: string, load: () => object): void {
  provided.set(schemaName, load);
}

function validator(schemaName: string): ValidateFunction {
  let v = compiled.get(schemaName);
  if (v) return v;
  let schema = provided.get(schemaName)?.();
  if (!schema) {
    const path = `${schemaDir()}${schemaName}.schema.json`;
    if (!existsSync(path)) throw new Error(`no JSON schema '${schemaName}' (${path})`);
    schema = JSON.parse(readFileSync(path, 'utf8')) as object;
  }
  // allErrors off: the first error is the one reported, and validation stops early on large bodies.
  ajv ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  v = ajv.compile(schema);
  compiled.set(schemaName, v);
  return v;
}

/** `/functions/0/memoryMB` → `functions[0].memoryMB`. */
function fieldName(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `${out ? '.' : ''}${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describe(e: ErrorObject): string {
  const at = fieldName(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = fieldName(`${e.instancePath}/${String(p.missingProperty)}`);
      return `${field} is missing`;
    }
    case 'additionalProperties': return `${at ? `${at}: ` : ''}unknown field '${String(p.additionalProperty)}'`;
    case 'type': return `${at || 'the file'} must be ${article(String(p.type))}`;
    case 'const': return `${at || 'the value'} must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum': return `${at || 'the value'} must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    default: return `${at || 'the value'} ${e.message ?? 'is invalid'}`;
  }
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^(object|array|integer)/.test(t) ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`;
}

/**
 * Checks `value` against docs/schemas/<schemaName>.schema.json; returns it typed, or throws a MoparError
 * `<fileLabel>: <field> <what is wrong>`.
 */
export function validate<T>(schemaName: string, value: unknown, fileLabel: string): T {
  const v = validator(schemaName);
  if (v(value)) return value as T;
  const first = v.errors?.[0];
  throw new MoparError(`${fileLabel}: ${first ? describe(first) : 'does not match its schema'}`);
}

/** Whether `value` fits the schema (no error thrown; for choosing between file kinds). */
export function matchesSchema(schemaName: string, value: unknown): boolean {
  return validator(schemaName)(value) === true;
}

/**
 * The largest manifest, plan, profile or other JSON file mopar reads, far above the files mopar writes: a bigger
 * one is refused before it is read and parsed whole (a 100 MB manifest stalled verify, serve and deploy).
 */
export const MAX_JSON_FILE_BYTES = 16 * 2 ** 20;

/**
 * Reads a JSON file: a missing file or invalid JSON is a MoparError naming `what` (e.g. 'plan file') and the
 * path. Validation is left to the caller (`validate`), which may first check what kind of file it is.
 */
export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new MoparError(`${what} not found: ${path}`);
  // Checked before reading: a huge file would be read whole and parsed before any schema could refuse it.
  const bytes = statSync(path).size;
  if (bytes > MAX_JSON_FILE_BYTES) {
    throw new MoparError(`${what} ${path} is ${bytes} bytes, over the ${MAX_JSON_FILE_BYTES}-byte (${MAX_JSON_FILE_BYTES / 2 ** 20} MiB) limit for mopar's JSON files`);
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new MoparError(`${what} ${path} is not valid JSON (${errorMessage(err)})`);
  }
}
