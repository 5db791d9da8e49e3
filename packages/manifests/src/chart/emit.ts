import { goQuote } from '../template/go';
import { YamlWriter } from '../yaml-writer';
import { soleSpread } from './materialize';
import {
  hasToken,
  markerOf,
  splitTokens,
  type Condition,
  type Expression,
  type Marker,
} from './tokens';

/**
 * Writes an object with value references as a template: literal YAML (see
 * {@link YamlWriter}), and for each reference the one template form of its kind.
 *
 * | reference                  | template                                                   |
 * | -------------------------- | ---------------------------------------------------------- |
 * | scalar value               | `key: {{ P }}` (numbers, booleans), `key: {{ P \| quote }}` |
 * | object or list value       | `key:` + `{{- toYaml P \| nindent N }}`                     |
 * | optional object or list    | `{{- if P }}` `key:` `{{- toYaml P \| nindent N }}` `{{- end }}` |
 * | map entries / list items   | `{{- if P }}` `{{- toYaml P \| nindent N }}` `{{- end }}`     |
 * | named YAML (labels)        | `{{- include "x" . \| nindent N }}`                          |
 * | string with references     | `{{ printf "…%v…" P … \| quote }}`                           |
 * | conditional field or item  | `{{- if C }}` … `{{- end }}`                                 |
 * | one of two scalars         | `{{ if C }}A{{ else }}B{{ end }}`                            |
 */
class TemplateWriter extends YamlWriter {
  override scalar(value: unknown, where: string): string {
    const m = markerOf(value);
    if (m?.kind === 'value' && SCALAR_TYPES.includes(m.expression.type)) {
      return m.expression.type === 'string'
        ? `{{ ${m.expression.pipeline} | quote }}`
        : `{{ ${m.expression.pipeline} }}`;
    }
    if (m?.kind === 'choose') {
      const branch = (b: unknown) =>
        typeof b === 'string' && !hasToken(b) ? goQuote(b) : this.scalar(b, where);
      return `{{ if ${conditionText(m.condition)} }}${branch(m.then)}{{ else }}${branch(m.otherwise)}{{ end }}`;
    }
    if (m)
      throw new Error(
        `${where}: a ${m.kind} reference (${describe(m)}) cannot stand in a scalar position`,
      );
    if (typeof value === 'string' && hasToken(value)) return interpolation(value, where);
    return super.scalar(value, where);
  }

  override entry(key: string, value: unknown, indent: number, out: string[], where: string): void {
    const pad = ' '.repeat(indent);
    const keyMarker = markerOf(key);
    if (keyMarker) {
      if (keyMarker.kind !== 'entries')
        throw new Error(`${where}: a map key cannot be a value reference`);
      out.push(...spreadLines(keyMarker.expression, indent));
      return;
    }
    if (hasToken(key)) throw new Error(`${where}: a map key cannot contain a value reference`);
    const k = this.scalar(key, where);
    const m = markerOf(value);
    if (m?.kind === 'when') {
      out.push(`${pad}{{- if ${conditionText(m.condition)} }}`);
      this.entry(key, m.value, indent, out, where);
      out.push(`${pad}{{- end }}`);
    } else if (m?.kind === 'optional') {
      out.push(...optionalBlock(k, m.expression, indent));
    } else if (m?.kind === 'value' && BLOCK_TYPES.includes(m.expression.type)) {
      out.push(
        `${pad}${k}:`,
        `${pad}  {{- toYaml ${m.expression.pipeline} | nindent ${indent + 2} }}`,
      );
    } else {
      const sole = soleSpread(value);
      if (sole && 'expression' in sole) out.push(...optionalBlock(k, sole.expression, indent));
      else super.entry(key, value, indent, out, where);
    }
  }

  override item(item: unknown, indent: number, out: string[], where: string): void {
    const pad = ' '.repeat(indent);
    const m = markerOf(item);
    if (m?.kind === 'items') {
      out.push(...spreadLines(m.expression, indent));
    } else if (m?.kind === 'when') {
      out.push(`${pad}{{- if ${conditionText(m.condition)} }}`);
      this.item(m.value, indent, out, where);
      out.push(`${pad}{{- end }}`);
    } else {
      super.item(item, indent, out, where);
    }
  }

  /** A list item's literal, unconditional keys first: the line after "- " must be one of them. */
  override itemOrder(
    map: Readonly<Record<string, unknown>>,
    where: string,
  ): Readonly<Record<string, unknown>> {
    const plain = ([k, v]: [string, unknown]) => {
      const kind = markerOf(v)?.kind;
      return !markerOf(k) && kind !== 'when' && kind !== 'optional' && !soleSpread(v);
    };
    const entries = Object.entries(map);
    if (!entries.some(plain))
      throw new Error(`${where}: a list item needs at least one literal, unconditional field`);
    return Object.fromEntries([...entries.filter(plain), ...entries.filter((e) => !plain(e))]);
  }
}

const BLOCK_TYPES: readonly Expression['type'][] = ['object', 'array'];
const SCALAR_TYPES: readonly Expression['type'][] = ['string', 'number', 'integer', 'boolean'];

/** A pipeline as an argument of a function or of `not`: parenthesized when it has more than one word. */
const argument = (pipeline: string) => (/\s/.test(pipeline) ? `(${pipeline})` : pipeline);

function conditionText(c: Condition): string {
  return c.negate ? `not ${argument(c.pipeline)}` : c.pipeline;
}

function describe(m: Marker): string {
  return 'expression' in m ? m.expression.pipeline : m.kind;
}

/** A string with references: `{{ printf "…%v…" P … | quote }}`. */
function interpolation(value: string, where: string): string {
  let format = '';
  const args: string[] = [];
  for (const part of splitTokens(value)) {
    if (typeof part === 'string') {
      format += part.replace(/%/g, '%%');
      continue;
    }
    if (part.kind !== 'value' || !SCALAR_TYPES.includes(part.expression.type)) {
      throw new Error(`${where}: only scalar values can be part of a string (${describe(part)})`);
    }
    format += '%v';
    args.push(argument(part.expression.pipeline));
  }
  return `{{ printf ${goQuote(format)} ${args.join(' ')} | quote }}`;
}

/** Lines that add a spread's entries or items at `indent`. */
function spreadLines(e: Expression, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (e.type === 'yaml') return [`${pad}{{- ${e.pipeline} | nindent ${indent} }}`];
  return [
    `${pad}{{- if ${e.pipeline} }}`,
    `${pad}{{- toYaml ${e.pipeline} | nindent ${indent} }}`,
    `${pad}{{- end }}`,
  ];
}

function optionalBlock(key: string, e: Expression, indent: number): string[] {
  const pad = ' '.repeat(indent);
  return [
    `${pad}{{- if ${e.pipeline} }}`,
    `${pad}${key}:`,
    `${pad}  {{- toYaml ${e.pipeline} | nindent ${indent + 2} }}`,
    `${pad}{{- end }}`,
  ];
}

/** The template of one object; wrapped in `{{- if }}` when the object is conditional. */
export function emitTemplate(
  json: Readonly<Record<string, unknown>>,
  options: { readonly header: string; readonly condition?: Condition; readonly where: string },
): string {
  const body = `# ${options.header}\n${new TemplateWriter().write(json, options.where)}`;
  // The header goes inside the condition, so a disabled object renders to nothing at all.
  return options.condition
    ? `{{- if ${conditionText(options.condition)} }}\n${body}\n{{- end }}\n`
    : `${body}\n`;
}
