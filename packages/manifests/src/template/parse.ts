import { goUnquote } from './go';

/**
 * The parser of the chart template language: the subset of Go's text/template
 * that the packager emits and the chart's helpers use.
 *
 * Actions: `{{ pipeline }}`, `{{ if pipeline }}`, `{{ else if pipeline }}`,
 * `{{ else }}`, `{{ end }}`, `{{ define "name" }}` (top level) and comments
 * `{{/* … *\/}}`; `{{-` and `-}}` trim the whitespace on their side.
 * A pipeline is commands joined by `|`, each a function applied to operands
 * (fields such as `.Values.a.b`, `.`, string and number literals, and
 * parenthesized pipelines), the previous command's value last. Which
 * functions exist is decided by the executor (see FUNCTIONS).
 */

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

export type Operand =
  | { readonly type: 'field'; readonly path: readonly string[] } // `.` is the empty path
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'nil' }
  | { readonly type: 'function'; readonly name: string }
  | { readonly type: 'pipeline'; readonly pipeline: Pipeline };

/** One command of a pipeline: a function and its arguments, or a single operand. */
export type Command = readonly Operand[];
export interface Pipeline {
  readonly commands: readonly Command[];
  readonly line: number;
}

export type TemplateNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'output'; readonly pipeline: Pipeline }
  | {
      readonly type: 'if';
      /** `if` and every `else if`, in order. */
      readonly branches: readonly { readonly condition: Pipeline; readonly body: TemplateNode[] }[];
      readonly otherwise: TemplateNode[];
    };

/** A parsed template file: its output nodes and the named templates it defines. */
export interface Template {
  readonly file: string;
  readonly nodes: readonly TemplateNode[];
  readonly defines: ReadonlyMap<string, readonly TemplateNode[]>;
}

interface ActionToken {
  readonly kind: 'action';
  readonly body: string;
  readonly line: number;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}
type Token = { readonly kind: 'text'; text: string } | ActionToken;

/** Splits a template into text and actions, applying the trim markers to the text around them. */
function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const advanceLines = (text: string) => {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  };
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    const text = source.slice(pos, open === -1 ? source.length : open);
    if (text) tokens.push({ kind: 'text', text });
    advanceLines(text);
    if (open === -1) break;
    const isComment = source.startsWith('/*', open + 2) || source.startsWith('- /*', open + 2);
    const commentEnd = isComment ? source.indexOf('*/', open) : -1;
    const close = isComment
      ? commentEnd === -1
        ? -1
        : source.indexOf('}}', commentEnd)
      : source.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(file, line, 'unclosed action: "{{" without "}}"');
    let inner = source.slice(open + 2, close);
    const actionLine = line;
    advanceLines(source.slice(open, close + 2));
    const trimLeft = /^-[ \t\r\n]/.test(inner);
    const trimRight = /[ \t\r\n]-$/.test(inner);
    if (trimLeft) inner = inner.slice(1);
    if (trimRight) inner = inner.slice(0, -1);
    tokens.push({ kind: 'action', body: inner.trim(), line: actionLine, trimLeft, trimRight });
    pos = close + 2;
  }
  tokens.forEach((t, i) => {
    if (t.kind !== 'action') return;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (t.trimLeft && before?.kind === 'text') before.text = before.text.replace(/[ \t\r\n]+$/, '');
    if (t.trimRight && after?.kind === 'text') after.text = after.text.replace(/^[ \t\r\n]+/, '');
  });
  return tokens;
}

/** Lexes and parses the pipeline inside an action. */
function parsePipeline(text: string, file: string, line: number): Pipeline {
  let pos = 0;
  const fail = (problem: string): never => {
    throw new TemplateError(file, line, `${problem} in "{{ ${text} }}"`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const pipeline = (closing: string | undefined): Pipeline => {
    const commands: Command[] = [];
    let command: Operand[] = [];
    for (;;) {
      skipSpace();
      const ch = text[pos];
      if (ch === undefined || ch === closing) {
        if (closing !== undefined && ch === undefined) fail('unclosed "("');
        if (closing !== undefined) pos++;
        break;
      }
      if (ch === '|') {
        if (command.length === 0) fail('empty command before "|"');
        commands.push(command);
        command = [];
        pos++;
        continue;
      }
      command.push(operand());
    }
    if (command.length === 0)
      fail(commands.length === 0 ? 'empty pipeline' : 'empty command after "|"');
    commands.push(command);
    return { commands, line };
  };
  const operand = (): Operand => {
    const rest = text.slice(pos);
    let m: RegExpExecArray | null;
    if (rest[0] === '(') {
      pos++;
      return { type: 'pipeline', pipeline: pipeline(')') };
    }
    if ((m = /^"((?:[^"\\]|\\.)*)"/.exec(rest))) {
      pos += m[0].length;
      try {
        return { type: 'string', value: goUnquote(m[1]!) };
      } catch (e) {
        return fail((e as Error).message);
      }
    }
    if ((m = /^`([^`]*)`/.exec(rest))) {
      pos += m[0].length;
      return { type: 'string', value: m[1]! };
    }
    if ((m = /^-?\d+(\.\d+)?(?![\w.])/.exec(rest))) {
      pos += m[0].length;
      return { type: 'number', value: Number(m[0]) };
    }
    if ((m = /^((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)(?![\w.])/.exec(rest))) {
      pos += m[0].length;
      return { type: 'field', path: m[1] === '.' ? [] : m[1]!.slice(1).split('.') };
    }
    if ((m = /^[A-Za-z_][A-Za-z0-9_]*(?![\w.])/.exec(rest))) {
      pos += m[0].length;
      if (m[0] === 'true' || m[0] === 'false') return { type: 'bool', value: m[0] === 'true' };
      if (m[0] === 'nil') return { type: 'nil' };
      return { type: 'function', name: m[0] };
    }
    return fail(`unexpected "${rest.slice(0, 12)}"`);
  };
  return pipeline(undefined);
}

type Frame =
  | { kind: 'root'; nodes: TemplateNode[] }
  | { kind: 'define'; name: string; nodes: TemplateNode[]; line: number }
  | {
      kind: 'if';
      branches: { condition: Pipeline; body: TemplateNode[] }[];
      otherwise: TemplateNode[] | undefined;
      line: number;
    };

/** Parses a template file: text, actions and blocks, balanced; any syntax error names the file and line. */
export function parseTemplate(source: string, file: string): Template {
  const defines = new Map<string, TemplateNode[]>();
  const stack: Frame[] = [{ kind: 'root', nodes: [] }];
  const top = () => stack[stack.length - 1]!;
  const current = (): TemplateNode[] => {
    const f = top();
    if (f.kind !== 'if') return f.nodes;
    return f.otherwise ?? f.branches[f.branches.length - 1]!.body;
  };
  for (const token of tokenize(source, file)) {
    if (token.kind === 'text') {
      if (token.text) current().push({ type: 'text', text: token.text });
      continue;
    }
    const { body, line } = token;
    let m: RegExpExecArray | null;
    if (/^\/\*[\s\S]*\*\/$/.test(body)) continue;
    if ((m = /^if\s+([\s\S]+)$/.exec(body))) {
      const frame: Frame = { kind: 'if', branches: [], otherwise: undefined, line };
      frame.branches.push({ condition: parsePipeline(m[1]!, file, line), body: [] });
      stack.push(frame);
    } else if ((m = /^else\s+if\s+([\s\S]+)$/.exec(body))) {
      const f = top();
      if (f.kind !== 'if' || f.otherwise)
        throw new TemplateError(file, line, '"else if" without an open "if"');
      f.branches.push({ condition: parsePipeline(m[1]!, file, line), body: [] });
    } else if (body === 'else') {
      const f = top();
      if (f.kind !== 'if' || f.otherwise)
        throw new TemplateError(file, line, '"else" without an open "if"');
      f.otherwise = [];
    } else if (body === 'end') {
      const f = top();
      if (f.kind === 'root')
        throw new TemplateError(file, line, '"end" without an open "if" or "define"');
      stack.pop();
      if (f.kind === 'define') defines.set(f.name, f.nodes);
      else current().push({ type: 'if', branches: f.branches, otherwise: f.otherwise ?? [] });
    } else if ((m = /^define\s+"([^"]+)"$/.exec(body))) {
      if (stack.length !== 1)
        throw new TemplateError(file, line, '"define" must be at the top level');
      stack.push({ kind: 'define', name: m[1]!, nodes: [], line });
    } else if (/^(range|with|block|template|break|continue)\b/.test(body) || /^\$/.test(body)) {
      throw new TemplateError(
        file,
        line,
        `"{{ ${body} }}" is not part of the chart template language (no range, with, block, template or variables)`,
      );
    } else {
      current().push({ type: 'output', pipeline: parsePipeline(body, file, line) });
    }
  }
  const open = top();
  if (open.kind !== 'root') {
    throw new TemplateError(file, open.line, `"${open.kind}" is never closed by "end"`);
  }
  return { file, nodes: open.nodes, defines };
}
