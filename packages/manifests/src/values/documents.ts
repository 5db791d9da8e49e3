import { Document, isMap, isScalar, type Pair } from 'yaml';
import { plain, sectionOf, valueLeaves, type Json, type ValuesDefinition } from './definition';

/**
 * values.yaml: every value with its `## @param path description` line
 * (the Bitnami readme-generator convention), sections from top-level titles.
 * Written in YAML 1.1 style so Helm reads back exactly these values.
 */
export function valuesYaml(definition: ValuesDefinition, header: readonly string[] = []): string {
  const doc = new Document(definition.defaults, { version: '1.1' });
  const leaves = new Map(valueLeaves(definition).map((l) => [l.path, l]));
  const topLevel = (plain(definition.schema).properties ?? {}) as Record<string, Json>;
  let section = '';
  const annotate = (node: unknown, path: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items as Pair[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const childPath = [...path, key];
      const dotted = childPath.join('.');
      const leaf = leaves.get(dotted);
      const lines: string[] = [];
      if (path.length === 0 && topLevel[key] && sectionOf(topLevel[key]) !== section) {
        section = sectionOf(topLevel[key]);
        lines.push(`# @section ${section}`);
      }
      if (leaf) lines.push(`# @param ${dotted} ${leaf.description}`);
      if (lines.length > 0 && isScalar(pair.key)) pair.key.commentBefore = lines.join('\n');
      if (!leaf) annotate(pair.value, childPath);
    }
  };
  annotate(doc.contents, []);
  if (header.length > 0) doc.commentBefore = header.map((l) => (l ? ` ${l}` : '')).join('\n');
  return doc.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true });
}

/** The README's values table: name, description, default. */
export function valuesTable(definition: ValuesDefinition): string {
  const rows: string[] = [];
  let section = '';
  for (const leaf of valueLeaves(definition)) {
    if (leaf.section !== section) {
      section = leaf.section;
      rows.push(
        '',
        `### ${section}`,
        '',
        '| Name | Description | Default |',
        '| --- | --- | --- |',
      );
    }
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    rows.push(
      `| \`${leaf.path}\` | ${cell(leaf.description)} | \`${cell(JSON.stringify(leaf.defaultValue))}\` |`,
    );
  }
  return rows.join('\n').trimStart() + '\n';
}
