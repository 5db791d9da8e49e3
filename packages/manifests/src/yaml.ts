import { parseAllDocuments } from 'yaml';
import { sortedKeys, YamlWriter } from './yaml-writer';

/**
 * YAML the way Helm reads it. Helm parses values files and rendered manifests
 * with a YAML 1.1 parser, where plain `no`, `yes`, `on` and `off` are booleans:
 * a Redis argument `--appendonly no` written as a plain `- no` would reach
 * Kubernetes as `false`. Everything this package writes is therefore written in
 * YAML 1.1's terms (see YamlWriter), and everything it reads is parsed in
 * YAML 1.1 mode, so it sees what Helm sees.
 */

/** Serializes one document (no leading `---`), ending with a newline. */
export function toYamlDocument(value: unknown, options: { sortKeys?: boolean } = {}): string {
  return `${new YamlWriter().write(options.sortKeys ? sortedKeys(value) : value)}\n`;
}

/** Serializes documents separated by `---`. */
export function toYamlDocuments(values: readonly unknown[]): string {
  return values.map((v) => toYamlDocument(v)).join('---\n');
}

/** Parses every non-empty document of a YAML stream (YAML 1.1, like Helm); throws with the source named. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: invalid YAML: ${doc.errors[0]!.message}`);
    }
    const value = doc.toJS({ maxAliasCount: 0 }) as unknown;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Parses a YAML stream that must hold exactly one document. */
export function parseYamlDocument(text: string, source: string): unknown {
  const docs = parseYamlDocuments(text, source);
  if (docs.length > 1)
    throw new Error(`${source}: expected one YAML document, found ${docs.length}`);
  return docs[0] ?? null;
}
