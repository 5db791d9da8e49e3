import { goQuote } from './template/go';

/**
 * A YAML writer in YAML 1.1's terms, as Helm reads YAML: a string that 1.1
 * would take for a boolean, a number or null is quoted, and so is any string
 * that is not a simple word; quoted strings use Go's escapes, which YAML reads
 * back identically (line and paragraph separators and NEL included, which a
 * YAML 1.1 reader would otherwise fold). Block style, two-space indents,
 * sequences indented under their key.
 *
 * The packager's template writer extends it (value references become
 * template actions); `toYaml` in the template language uses it as it is.
 */
export class YamlWriter {
  /** The whole document (no trailing newline). */
  write(value: unknown, where = ''): string {
    const out: string[] = [];
    if (isMap(value) && Object.keys(value).length > 0) this.map(value, 0, out, where);
    else if (Array.isArray(value) && value.length > 0) this.list(value, 0, out, where);
    else out.push(this.scalar(value, where));
    return out.join('\n');
  }

  /** A literal scalar (or an empty collection) in a scalar position. */
  scalar(v: unknown, where: string): string {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`${where}: cannot write the number ${v} in YAML`);
      const s = String(v);
      // YAML 1.1 floats need a dot: 1e+21 would read back as a string.
      return /e/.test(s) && !s.includes('.') ? s.replace('e', '.0e') : s;
    }
    if (typeof v === 'string') {
      return /^[A-Za-z_/][A-Za-z0-9_./-]*$/.test(v) && !YAML11_SPECIAL.test(v) ? v : goQuote(v);
    }
    if (Array.isArray(v) && v.length === 0) return '[]';
    if (isMap(v) && Object.keys(v).length === 0) return '{}';
    throw new Error(`${where}: ${JSON.stringify(v)} is not a scalar`);
  }

  map(map: Readonly<Record<string, unknown>>, indent: number, out: string[], where: string): void {
    for (const [key, value] of Object.entries(map)) this.entry(key, value, indent, out, where);
  }

  entry(key: string, value: unknown, indent: number, out: string[], where: string): void {
    const pad = ' '.repeat(indent);
    const k = this.scalar(key, where);
    const path = where ? `${where}.${key}` : key;
    if (isMap(value) && Object.keys(value).length > 0) {
      out.push(`${pad}${k}:`);
      this.map(value, indent + 2, out, path);
    } else if (Array.isArray(value) && value.length > 0) {
      out.push(`${pad}${k}:`);
      this.list(value, indent + 2, out, path);
    } else {
      out.push(`${pad}${k}: ${this.scalar(value, path)}`);
    }
  }

  list(items: readonly unknown[], indent: number, out: string[], where: string): void {
    items.forEach((item, i) => this.item(item, indent, out, `${where}[${i}]`));
  }

  item(item: unknown, indent: number, out: string[], where: string): void {
    const pad = ' '.repeat(indent);
    if (isMap(item) && Object.keys(item).length > 0) {
      const lines: string[] = [];
      this.map(this.itemOrder(item, where), indent + 2, lines, where);
      lines[0] = `${pad}- ${lines[0]!.slice(indent + 2)}`;
      out.push(...lines);
    } else if (Array.isArray(item) && item.length > 0) {
      const lines: string[] = [];
      this.list(item, indent + 2, lines, where);
      lines[0] = `${pad}- ${lines[0]!.slice(indent + 2)}`;
      out.push(...lines);
    } else {
      out.push(`${pad}- ${this.scalar(item, where)}`);
    }
  }

  /** The order of a list item's keys (the first one shares the "- " line). */
  itemOrder(
    map: Readonly<Record<string, unknown>>,
    _where: string,
  ): Readonly<Record<string, unknown>> {
    return map;
  }
}

const YAML11_SPECIAL =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

export const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sorts map keys recursively by their UTF-8 bytes (as Go's yaml and json do). */
export function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isMap(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
      .map((k) => [k, sortedKeys(v[k])]),
  );
}
