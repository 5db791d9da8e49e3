import { createHash } from 'node:crypto';
import { sortedKeys, YamlWriter } from '../yaml-writer';
import { goJson, goPrint, goQuote, isTrue } from './go';

/**
 * The closed set of functions of the chart template language, each with
 * Helm's (sprig's) semantics for the values a template sees. A template that
 * calls anything else is refused, naming the function.
 */

export class FunctionError extends Error {}

type Fn = (...args: unknown[]) => unknown;

function expectString(fn: string, v: unknown, position: string): string {
  if (typeof v !== 'string') {
    throw new FunctionError(`${fn}: wrong type for ${position}; expected string; got ${goType(v)}`);
  }
  return v;
}

function expectInt(fn: string, v: unknown, position: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new FunctionError(`${fn}: wrong type for ${position}; expected int; got ${goType(v)}`);
  }
  return v;
}

/** Go's name of a value's dynamic type, as its error messages print it. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** sprig's `empty`: nil, false, 0, "" and empty collections. */
function empty(v: unknown): boolean {
  return !isTrue(v);
}

/**
 * Go's fmt.Sprintf for the verbs %s, %v, %q and %%. (No %d: values read from a
 * values file are float64 in Go, which %d refuses; write %v.)
 */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const verb = format[++i];
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[next++];
    const bad = () =>
      `%!${verb}(${arg === null || arg === undefined ? '<nil>' : `${goType(arg)}=${goPrint(arg)}`})`;
    switch (verb) {
      case 's':
        out +=
          typeof arg === 'string' ? arg : arg === null || arg === undefined ? '%!s(<nil>)' : bad();
        break;
      case 'v':
        out += arg === null || arg === undefined ? '<nil>' : goPrint(arg);
        break;
      case 'q':
        out += typeof arg === 'string' ? goQuote(arg) : bad();
        break;
      default:
        throw new FunctionError(
          `printf: the verb %${verb} is not part of the chart template language`,
        );
    }
  }
  if (next < args.length) {
    out += `%!(EXTRA ${args
      .slice(next)
      .map((a) => `${goType(a)}=${a === null || a === undefined ? '<nil>' : goPrint(a)}`)
      .join(', ')})`;
  }
  return out;
}

/** Helm's toYaml: the value as YAML with sorted keys, no trailing newline. */
export function toYaml(v: unknown): string {
  return new YamlWriter().write(sortedKeys(v ?? null));
}

function indentLines(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replace(/\n/g, `\n${pad}`);
}

/**
 * Bytes as Go holds them in a string. A cut through a character leaves bytes
 * that are not UTF-8; each becomes the character of its code (Latin-1), which
 * is what Helm's output reads back as (`quote` writes such a byte as `\xNN`,
 * and YAML reads `\xNN` as U+00NN).
 */
function goBytes(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    const sequence = length > 0 ? bytes.subarray(i, i + length) : undefined;
    const valid =
      sequence !== undefined &&
      sequence.length === length &&
      sequence.subarray(1).every((c) => c >= 0x80 && c < 0xc0);
    if (valid) {
      out += sequence.toString('utf8');
      i += length;
    } else {
      out += String.fromCharCode(b);
      i += 1;
    }
  }
  return out;
}

/** sprig's trunc: the first (or, negative, the last) c bytes of s. */
function trunc(c: number, s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  if (c < 0 && bytes.length + c > 0) return goBytes(bytes.subarray(bytes.length + c));
  if (c >= 0 && bytes.length > c) return goBytes(bytes.subarray(0, c));
  return s;
}

/** Functions that take the template set (include) are bound by the executor. */
export const FUNCTIONS: Readonly<Record<string, Fn>> = {
  not: (v) => !isTrue(v),
  default: (d, ...given) => (given.length === 0 || empty(given[0]) ? d : given[0]),
  quote: (...args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => goQuote(typeof a === 'string' ? a : goPrint(a)))
      .join(' '),
  printf: (format, ...args) => sprintf(expectString('printf', format, 'format'), args),
  toYaml: (v) => toYaml(v),
  toJson: (v) => goJson(v),
  sha256sum: (s) =>
    createHash('sha256')
      .update(expectString('sha256sum', s, 'argument'), 'utf8')
      .digest('hex'),
  nindent: (n, s) =>
    `\n${indentLines(expectInt('nindent', n, 'spaces'), expectString('nindent', s, 'text'))}`,
  indent: (n, s) =>
    indentLines(expectInt('indent', n, 'spaces'), expectString('indent', s, 'text')),
  trunc: (c, s) => trunc(expectInt('trunc', c, 'length'), expectString('trunc', s, 'text')),
  trimSuffix: (suffix, s) => {
    const str = expectString('trimSuffix', s, 'text');
    const suf = expectString('trimSuffix', suffix, 'suffix');
    return suf && str.endsWith(suf) ? str.slice(0, -suf.length) : str;
  },
  contains: (substr, s) =>
    expectString('contains', s, 'text').includes(expectString('contains', substr, 'substring')),
  replace: (old, replacement, s) =>
    expectString('replace', s, 'text')
      .split(expectString('replace', old, 'old'))
      .join(expectString('replace', replacement, 'new')),
};

/** Every function a template may call (include comes from the executor). */
export const FUNCTION_NAMES: readonly string[] = ['include', ...Object.keys(FUNCTIONS)].sort();
