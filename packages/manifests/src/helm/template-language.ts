import { createHash } from 'node:crypto';
import { toYamlDocument } from './yaml';

/**
 * The closed template language of the packaged charts.
 *
 * Templates are literal YAML plus Helm actions of exactly the forms below; the
 * packager emits nothing else, and this module refuses anything else, so the
 * packager's own renderer and `helm template` agree on every chart it builds.
 *
 * Each action is written `{{ body }}`; a `-` after `{{` (or before `}}`) trims
 * the whitespace before (after) the action, as in Go templates.
 */
export const TEMPLATE_FORMS: readonly { readonly form: string; readonly meaning: string }[] = [
  { form: '{{ .Values.a.b }}', meaning: 'a number or boolean value, printed as Go prints it' },
  { form: '{{ .Values.a.b | quote }}', meaning: 'a string value as a double-quoted YAML scalar' },
  {
    form: '{{- toYaml .Values.a.b | nindent N }}',
    meaning: 'an object value as a YAML block indented by N spaces',
  },
  {
    form: '{{ .Values.a.b | toJson | sha256sum | quote }}',
    meaning: 'the SHA-256 of a value (a pod-template checksum that rolls pods when it changes)',
  },
  {
    form: '{{ .Release.Namespace | quote }}',
    meaning: 'the namespace of the release (quoted: "n" or "no" are namespaces too)',
  },
  {
    form: '{{ .Release.Namespace }}',
    meaning: 'the namespace of the release, in text (NOTES.txt)',
  },
  {
    form: '{{ if .Values.a.b }} … {{ else }} … {{ end }}',
    meaning:
      'a block (object, field or inline text) kept when the value is set; `else` is optional',
  },
  {
    form: '{{ if not .Values.a.b }} … {{ end }}',
    meaning: 'a block kept when the value is not set',
  },
];

export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'TemplateError';
  }
}

type ValuePath = readonly string[];

type OutputAction =
  | { readonly kind: 'value'; readonly path: ValuePath }
  | { readonly kind: 'quote'; readonly path: ValuePath }
  | { readonly kind: 'toYaml'; readonly path: ValuePath; readonly indent: number }
  | { readonly kind: 'sha256'; readonly path: ValuePath }
  | { readonly kind: 'namespace'; readonly quote: boolean };

type TemplateNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'output'; readonly action: OutputAction; readonly line: number }
  | {
      readonly type: 'if';
      readonly negate: boolean;
      readonly path: ValuePath;
      readonly line: number;
      readonly then: TemplateNode[];
      readonly otherwise: TemplateNode[];
    };

/** A parsed template: only the closed set of forms, with if/else/end balanced. */
export interface Template {
  readonly file: string;
  readonly nodes: readonly TemplateNode[];
  /** Every `.Values` path the template reads, dotted. */
  readonly valuePaths: readonly string[];
}

const PATH = String.raw`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`;
const FORMS: readonly { re: RegExp; build: (m: RegExpExecArray) => Body }[] = [
  { re: new RegExp(`^${PATH}$`), build: (m) => out({ kind: 'value', path: split(m[1]!) }) },
  {
    re: new RegExp(`^${PATH} \\| quote$`),
    build: (m) => out({ kind: 'quote', path: split(m[1]!) }),
  },
  {
    re: new RegExp(`^toYaml ${PATH} \\| nindent (\\d{1,2})$`),
    build: (m) => out({ kind: 'toYaml', path: split(m[1]!), indent: Number(m[2]) }),
  },
  {
    re: new RegExp(`^${PATH} \\| toJson \\| sha256sum \\| quote$`),
    build: (m) => out({ kind: 'sha256', path: split(m[1]!) }),
  },
  {
    re: /^\.Release\.Namespace( \| quote)?$/,
    build: (m) => out({ kind: 'namespace', quote: m[1] !== undefined }),
  },
  {
    re: new RegExp(`^if (not )?${PATH}$`),
    build: (m) => ({ type: 'if', negate: m[1] !== undefined, path: split(m[2]!) }),
  },
  { re: /^else$/, build: () => ({ type: 'else' }) },
  { re: /^end$/, build: () => ({ type: 'end' }) },
];

type Body =
  | { type: 'output'; action: OutputAction }
  | { type: 'if'; negate: boolean; path: ValuePath }
  | { type: 'else' }
  | { type: 'end' };

const out = (action: OutputAction): Body => ({ type: 'output', action });
const split = (dotted: string): ValuePath => dotted.slice(1).split('.');

interface Token {
  readonly text: string;
  readonly body?: Body;
  readonly line: number;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}

function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const formList = TEMPLATE_FORMS.map((f) => `  ${f.form}`).join('\n');
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open === -1) {
      tokens.push({ text: source.slice(pos), line: 0, trimLeft: false, trimRight: false });
      break;
    }
    if (open > pos) {
      tokens.push({ text: source.slice(pos, open), line: 0, trimLeft: false, trimRight: false });
    }
    const line = lineAt(source, open);
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(file, line, 'unclosed action: "{{" without "}}"');
    const raw = source.slice(open, close + 2);
    let inner = raw.slice(2, -2);
    const trimLeft = /^-[ \t\n]/.test(inner);
    const trimRight = /[ \t\n]-$/.test(inner);
    if (trimLeft) inner = inner.slice(1);
    if (trimRight) inner = inner.slice(0, -1);
    if (!/^ \S/.test(inner) || !/\S $/.test(inner)) {
      throw new TemplateError(
        file,
        line,
        `action ${JSON.stringify(raw)} must be written with one space inside the braces, e.g. "{{ .Values.a }}"`,
      );
    }
    const body = inner.slice(1, -1);
    let parsed: Body | undefined;
    for (const form of FORMS) {
      const m = form.re.exec(body);
      if (m) {
        parsed = form.build(m);
        break;
      }
    }
    if (!parsed) {
      throw new TemplateError(
        file,
        line,
        `unsupported template action ${JSON.stringify(raw)}. Charts built by @fittech/manifests use only these forms:\n${formList}`,
      );
    }
    tokens.push({ text: raw, body: parsed, line, trimLeft, trimRight });
    pos = close + 2;
  }
  return tokens;
}

/** Parses a template; any action outside the closed set, or an unbalanced if/else/end, is an error. */
export function parseTemplate(source: string, file: string): Template {
  const tokens = tokenize(source, file);
  // Apply trim markers to the neighbouring text, as Go templates do.
  const texts = tokens.map((t) => t.text);
  tokens.forEach((t, i) => {
    if (!t.body) return;
    if (t.trimLeft && i > 0 && !tokens[i - 1]!.body)
      texts[i - 1] = texts[i - 1]!.replace(/[ \t\r\n]+$/, '');
    if (t.trimRight && i + 1 < tokens.length && !tokens[i + 1]!.body) {
      texts[i + 1] = texts[i + 1]!.replace(/^[ \t\r\n]+/, '');
    }
  });

  const root: TemplateNode[] = [];
  const stack: { node: Extract<TemplateNode, { type: 'if' }>; inElse: boolean }[] = [];
  const valuePaths = new Set<string>();
  const current = (): TemplateNode[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.otherwise : top.node.then) : root;
  };
  tokens.forEach((t, i) => {
    const body = t.body;
    if (!body) {
      if (texts[i]) current().push({ type: 'text', text: texts[i]! });
      return;
    }
    switch (body.type) {
      case 'output':
        if ('path' in body.action) valuePaths.add(body.action.path.join('.'));
        current().push({ type: 'output', action: body.action, line: t.line });
        return;
      case 'if': {
        valuePaths.add(body.path.join('.'));
        const node = {
          type: 'if' as const,
          negate: body.negate,
          path: body.path,
          line: t.line,
          then: [],
          otherwise: [],
        };
        current().push(node);
        stack.push({ node, inElse: false });
        return;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top || top.inElse)
          throw new TemplateError(file, t.line, '"{{ else }}" without an open "{{ if }}"');
        top.inElse = true;
        return;
      }
      case 'end':
        if (!stack.pop())
          throw new TemplateError(file, t.line, '"{{ end }}" without an open "{{ if }}"');
        return;
    }
  });
  const open = stack.pop();
  if (open)
    throw new TemplateError(file, open.node.line, '"{{ if }}" is never closed by "{{ end }}"');
  return { file, nodes: root, valuePaths: [...valuePaths].sort() };
}

export interface TemplateContext {
  /** The chart's values (already merged and validated). */
  readonly values: unknown;
  readonly release: { readonly namespace: string };
}

/** Executes a parsed template. */
export function executeTemplate(template: Template, context: TemplateContext): string {
  const lookup = (path: ValuePath, line: number): unknown => {
    let cur: unknown = context.values;
    for (let i = 0; i < path.length; i++) {
      if (cur === null || cur === undefined) {
        throw new TemplateError(
          template.file,
          line,
          `.Values.${path.join('.')}: .Values.${path.slice(0, i).join('.')} is not set`,
        );
      }
      if (typeof cur !== 'object' || Array.isArray(cur)) {
        throw new TemplateError(
          template.file,
          line,
          `.Values.${path.slice(0, i).join('.')} is not a map`,
        );
      }
      cur = (cur as Record<string, unknown>)[path[i]!];
    }
    return cur ?? null;
  };
  const required = (path: ValuePath, line: number): unknown => {
    const v = lookup(path, line);
    if (v === null)
      throw new TemplateError(template.file, line, `.Values.${path.join('.')} is not set`);
    return v;
  };
  const run = (nodes: readonly TemplateNode[]): string => {
    let s = '';
    for (const node of nodes) {
      if (node.type === 'text') s += node.text;
      else if (node.type === 'if') {
        const truth = isTrue(lookup(node.path, node.line)) !== node.negate;
        s += run(truth ? node.then : node.otherwise);
      } else {
        const a = node.action;
        switch (a.kind) {
          case 'namespace':
            s += a.quote ? goQuote(context.release.namespace) : context.release.namespace;
            break;
          case 'value': {
            const v = required(a.path, node.line);
            if (typeof v === 'object') {
              throw new TemplateError(
                template.file,
                node.line,
                `.Values.${a.path.join('.')} is not a scalar; use toYaml`,
              );
            }
            s += goPrint(v);
            break;
          }
          case 'quote': {
            const v = lookup(a.path, node.line);
            if (v !== null && typeof v === 'object') {
              throw new TemplateError(
                template.file,
                node.line,
                `.Values.${a.path.join('.')} is not a scalar; use toYaml`,
              );
            }
            // sprig's quote prints nothing for nil.
            s += v === null ? '' : goQuote(goPrint(v));
            break;
          }
          case 'toYaml':
            s += nindent(a.indent, toYaml(lookup(a.path, node.line)));
            break;
          case 'sha256':
            s += goQuote(
              createHash('sha256')
                .update(goJson(lookup(a.path, node.line)))
                .digest('hex'),
            );
            break;
        }
      }
    }
    return s;
  };
  return run(template.nodes);
}

/** Go template truth: false, 0, "", nil, and empty maps and lists are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/**
 * Prints a scalar as Go's fmt does for values read from a values file (numbers
 * are float64 there: `%v` switches to exponent form from 1e+06 on).
 */
export function goPrint(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goFloat(v);
  throw new Error(`cannot print ${JSON.stringify(v)} as a scalar`);
}

function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa, exponent] = f.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  // fmt's %v is strconv's 'g' with the shortest digits, which switches to the
  // exponent form below 1e-4 and from 1e+06 on (two-digit exponent at least).
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(f);
}

/** Go's strconv.Quote (what sprig's `quote` emits); its escapes are valid YAML double-quoted escapes. */
export function goQuote(s: string): string {
  let q = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') q += `\\${ch}`;
    else if (cp === 0x20 || (cp > 0x20 && cp !== 0x7f && /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)))
      q += ch;
    else if (ch === '\x07') q += '\\a';
    else if (ch === '\b') q += '\\b';
    else if (ch === '\f') q += '\\f';
    else if (ch === '\n') q += '\\n';
    else if (ch === '\r') q += '\\r';
    else if (ch === '\t') q += '\\t';
    else if (ch === '\v') q += '\\v';
    else if (cp < 0x20 || cp === 0x7f) q += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) q += `\\u${cp.toString(16).padStart(4, '0')}`;
    else q += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${q}"`;
}

/** Go's encoding/json for a value read from YAML (sorted map keys, HTML-safe escaping), as sprig's toJson. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('toJson: unsupported number');
    const abs = Math.abs(v);
    return abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? v.toExponential() : String(v);
  }
  if (typeof v === 'string') {
    let s = '"';
    for (const ch of v) {
      const cp = ch.codePointAt(0)!;
      if (ch === '"' || ch === '\\') s += `\\${ch}`;
      else if (ch === '\n') s += '\\n';
      else if (ch === '\r') s += '\\r';
      else if (ch === '\t') s += '\\t';
      else if (
        cp < 0x20 ||
        ch === '<' ||
        ch === '>' ||
        ch === '&' ||
        cp === 0x2028 ||
        cp === 0x2029
      ) {
        s += `\\u${cp.toString(16).padStart(4, '0')}`;
      } else s += ch;
    }
    return `${s}"`;
  }
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort(compareBytes)
      .map((k) => `${goJson(k)}:${goJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  throw new Error(`toJson: unsupported value ${String(v)}`);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Helm's toYaml: sorted keys, no trailing newline. */
function toYaml(v: unknown): string {
  return toYamlDocument(v, { sortKeys: true }).replace(/\n$/, '');
}

/** sprig's nindent: a newline, then every line indented by n spaces. */
function nindent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return `\n${pad}${s.replace(/\n/g, `\n${pad}`)}`;
}
