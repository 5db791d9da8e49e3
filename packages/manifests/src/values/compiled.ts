/**
 * Compiled values validators. Compiling a chart's schema with Ajv is the
 * dearest step of validating (≈ 0.1 s for the FitTech chart's, plus Ajv's own
 * draft-07 meta-schema), and a synth validates two schemas four times: so each
 * schema compiles once per process (by its JSON text: equal text is the same
 * schema), and, where a CLI asks for it (`keepCompiledValidators`), once per
 * machine: Ajv's standalone code of the validator is kept in a directory, named
 * by the hash of the schema, Ajv's version and options, and later processes
 * load that code instead of Ajv. The code is Ajv's own output for the same
 * schema, so it reports exactly the same errors.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import type { Options, ValidateFunction } from 'ajv';
import type { Json } from './definition';

/** Helm ignores unknown keywords and so do we (strict: false); draft-07 is Ajv's default draft. */
const OPTIONS: Options = { allErrors: true, strict: false, verbose: true };

/** In this process, by schema text; the most recent few (a long-lived process sees many schemas). */
const byText = new Map<string, ValidateFunction>();
const KEEP = 8;
/** The same, by schema object: a caller validating many values skips even the stringify. */
const byDocument = new WeakMap<object, ValidateFunction>();

let directory: string | undefined;

/**
 * Keeps compiled validators in `dir` from now on (created when needed), so
 * that the next process validating the same schema loads Ajv's standalone
 * code instead of compiling; `undefined` stops. Off by default: a library
 * writes no files unless asked. A directory that cannot be written only costs
 * the compilation.
 */
export function keepCompiledValidators(dir: string | undefined): void {
  directory = dir;
}

/** The validator of a JSON Schema document, compiled at most once per process. */
export function validatorFor(schemaDocument: Json): ValidateFunction {
  let validate = byDocument.get(schemaDocument);
  if (validate) return validate;
  const text = JSON.stringify(schemaDocument);
  validate = byText.get(text);
  if (!validate) {
    validate = directory
      ? loadOrCompile(directory, schemaDocument, text)
      : ajvCompile(schemaDocument);
    if (byText.size >= KEEP) byText.delete(byText.keys().next().value!);
    byText.set(text, validate);
  }
  byDocument.set(schemaDocument, validate);
  return validate;
}

// Loaded when a schema is compiled, not with this module: a process that loads every validator
// from the directory never loads Ajv's compiler.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ajvModule = () => require('ajv') as typeof import('ajv');

function ajvCompile(schemaDocument: Json): ValidateFunction {
  const Ajv = ajvModule().default;
  return new Ajv(OPTIONS).compile(schemaDocument);
}

/** Ajv's version: a validator compiled by another version is not reused. */
function ajvVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('ajv/package.json') as { version: string }).version;
}

/**
 * What standalone code may require (Ajv's runtime helpers, by the schema's
 * keywords), spelled out so that a bundler includes them. Code requiring
 * anything else is not loaded (the schema is compiled instead).
 */
const RUNTIME: Readonly<Record<string, () => unknown>> = {
  /* eslint-disable @typescript-eslint/no-require-imports */
  'ajv/dist/runtime/ucs2length': () => require('ajv/dist/runtime/ucs2length'),
  'ajv/dist/runtime/equal': () => require('ajv/dist/runtime/equal'),
  'ajv/dist/runtime/uri': () => require('ajv/dist/runtime/uri'),
  'ajv/dist/runtime/validation_error': () => require('ajv/dist/runtime/validation_error'),
  'ajv/dist/runtime/timestamp': () => require('ajv/dist/runtime/timestamp'),
  'ajv/dist/runtime/quote': () => require('ajv/dist/runtime/quote'),
  'ajv/dist/runtime/parseJson': () => require('ajv/dist/runtime/parseJson'),
  /* eslint-enable @typescript-eslint/no-require-imports */
};

function runtimeRequire(id: string): unknown {
  const load = RUNTIME[id];
  if (!load) throw new Error(`standalone validator code requires "${id}"`);
  return load();
}

/** The file of a schema's standalone code: the hash of Ajv's version, options and the schema. */
function codeFile(dir: string, text: string): string {
  const hash = createHash('sha256')
    .update(`${ajvVersion()}\0${JSON.stringify(OPTIONS)}\0${text}`)
    .digest('hex');
  return join(dir, `${hash.slice(0, 32)}.js`);
}

function loadOrCompile(dir: string, schemaDocument: Json, text: string): ValidateFunction {
  const file = codeFile(dir, text);
  let code: string | undefined;
  try {
    code = readFileSync(file, 'utf8');
  } catch {
    // Not compiled on this machine yet.
  }
  if (code !== undefined) {
    try {
      const module = { exports: {} as { default?: ValidateFunction } };
      const factory = runInThisContext(`(function (module, exports, require) {${code}\n})`, {
        filename: file,
      }) as (m: typeof module, e: unknown, r: (id: string) => unknown) => void;
      factory(module, module.exports, runtimeRequire);
      if (typeof module.exports.default === 'function') return module.exports.default;
    } catch {
      // Unreadable (another Ajv's output, a damaged file): compiled below and written again.
    }
  }
  const Ajv = ajvModule().default;
  // code.source keeps the generated code with the function; it changes nothing else.
  const ajv = new Ajv({ ...OPTIONS, code: { source: true } });
  const validate = ajv.compile(schemaDocument);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone'))
      .default;
    const source = standalone(ajv, validate);
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, source);
    renameSync(tmp, file);
  } catch {
    // Not written (read-only, or no room): the next process compiles again.
  }
  return validate;
}
