import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError, type Locate } from './config';

/** An ad-hoc overrides file, read: its data and where each path stands in it. */
export interface OverridesFile {
  /** The partial configuration (without the editor's `$schema` key). */
  readonly data: Record<string, unknown>;
  /** `file:line:column` of a path's key, for messages. */
  readonly locate: Locate;
}

const isYamlFile = (file: string) => /\.ya?ml$/i.test(file);

/** `file:line:column` from a character offset. */
function position(file: string, text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${file}:${line}:${column}`;
}

/**
 * Where JSON.parse stopped: V8 says "at position N" for most errors and
 * "Unexpected end" at the end; otherwise YAML (a superset of JSON) locates it.
 */
function jsonErrorOffset(text: string, error: Error): number | undefined {
  const at = /position (\d+)/.exec(error.message);
  if (at) return Number(at[1]);
  if (/Unexpected end/.test(error.message)) return text.length;
  const doc = parseDocument(text);
  return doc.errors[0]?.pos[0];
}

/** A configuration file's text, or a ConfigError naming it (`shown`: as the user typed it). */
export function readConfigText(path: string, shown: string, source: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [{ path: '(file)', value: shown, message: `cannot be read: ${(error as Error).message}` }],
      source,
    );
  }
}

/**
 * Reads an ad-hoc overrides file (JSON, or YAML by its extension): a partial
 * configuration of the same shape as an environment's section of
 * fittech.config.ts. Syntax errors name the file, line and column; the editor's
 * `$schema` key is accepted and dropped. Relative paths resolve against the
 * caller's working directory, as the user typed them.
 */
export function readOverridesFile(path: string, name = path): OverridesFile {
  const file = name;
  const source = `overrides file ${file}`;
  const text = readConfigText(path, file, source);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let data: unknown;
  if (isYamlFile(file)) {
    const first = doc.errors[0];
    if (first) {
      const { line, col } = lines.linePos(first.pos[0]);
      throw new ConfigError(
        [
          {
            path: '(file)',
            location: `${file}:${line}:${col}`,
            message: `is not valid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
          },
        ],
        source,
      );
    }
    data = doc.toJS();
  } else {
    try {
      data = JSON.parse(text);
    } catch (error) {
      const offset = jsonErrorOffset(text, error as Error);
      throw new ConfigError(
        [
          {
            path: '(file)',
            ...(offset === undefined ? {} : { location: position(file, text, offset) }),
            message: `is not valid JSON: ${(error as Error).message}`,
          },
        ],
        source,
      );
    }
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      [{ path: '(root)', value: data, message: 'must be an object with the shape of the config' }],
      source,
    );
  }
  const { $schema: _editorSchema, ...rest } = data as Record<string, unknown>;
  void _editorSchema;
  const locate: Locate = (path) => {
    // The key's position when the path ends at a key, else the value's.
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
        );
        if (!pair) return undefined;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        keyNode = node as Node;
      } else return undefined;
    }
    const range = keyNode?.range;
    if (!range) return undefined;
    const { line, col } = lines.linePos(range[0]);
    return `${file}:${line}:${col}`;
  };
  return { data: rest, locate };
}
