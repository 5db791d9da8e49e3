import { FUNCTIONS, FUNCTION_NAMES, FunctionError, goType } from './functions';
import { goPrint, isTrue, NO_VALUE } from './go';
import {
  TemplateError,
  type Operand,
  type Pipeline,
  type Template,
  type TemplateNode,
} from './parse';

/** The release a chart is rendered for: `.Release` in the templates. */
export interface ReleaseInfo {
  readonly name: string;
  readonly namespace: string;
  /** @default "Helm" */
  readonly service?: string;
}

/** What `.` is at the top of every template, as Helm builds it. */
export interface RenderContext {
  readonly Values: unknown;
  readonly Release: Readonly<Record<string, unknown>>;
  readonly Chart: Readonly<Record<string, unknown>>;
}

export function renderContext(
  values: unknown,
  release: ReleaseInfo,
  chart: { readonly name: string; readonly version: string; readonly appVersion?: string },
): RenderContext {
  return {
    Values: values,
    Release: {
      Name: release.name,
      Namespace: release.namespace,
      Service: release.service ?? 'Helm',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1,
    },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion ?? '' },
  };
}

/** Nested includes (Helm allows 1000; a chart needs a handful, and deeper would exhaust the stack here). */
const MAX_INCLUDE_DEPTH = 100;
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A set of parsed templates (a chart's templates/ directory): the named
 * templates of every file are visible to `include` from every file, as in Helm.
 */
export class TemplateSet {
  private readonly defines = new Map<string, { file: string; nodes: readonly TemplateNode[] }>();

  constructor(readonly templates: readonly Template[]) {
    for (const t of templates) {
      for (const [name, nodes] of t.defines) this.defines.set(name, { file: t.file, nodes });
    }
  }

  /** Renders one file's output with `.` = context; nil prints as nothing (Helm strips "<no value>"). */
  render(file: string, context: unknown): string {
    const template = this.templates.find((t) => t.file === file);
    if (!template) throw new Error(`no template ${file}`);
    return this.run(template.nodes, context, file, 0).split(NO_VALUE).join('');
  }

  /** Evaluates one pipeline (e.g. a value reference) with `.` = context, as `{{ }}` would before printing. */
  evaluate(pipeline: Pipeline, context: unknown, file = '(expression)'): unknown {
    return this.pipeline(pipeline, context, file, 0);
  }

  /** `include "name" data` */
  include(name: string, data: unknown, file: string, line: number, depth: number): string {
    const define = this.defines.get(name);
    if (!define) throw new TemplateError(file, line, `include: no template "${name}" is defined`);
    if (depth > MAX_INCLUDE_DEPTH)
      throw new TemplateError(
        file,
        line,
        `include: "${name}" nests deeper than ${MAX_INCLUDE_DEPTH}`,
      );
    return this.run(define.nodes, data, define.file, depth + 1);
  }

  private run(nodes: readonly TemplateNode[], dot: unknown, file: string, depth: number): string {
    let out = '';
    for (const node of nodes) {
      if (node.type === 'text') out += node.text;
      else if (node.type === 'output')
        out += goPrint(this.pipeline(node.pipeline, dot, file, depth));
      else {
        const branch = node.branches.find((b) =>
          isTrue(this.pipeline(b.condition, dot, file, depth)),
        );
        out += this.run(branch ? branch.body : node.otherwise, dot, file, depth);
      }
    }
    return out;
  }

  private pipeline(p: Pipeline, dot: unknown, file: string, depth: number): unknown {
    let value: unknown;
    p.commands.forEach((command, i) => {
      value = this.command(command, dot, file, p.line, depth, i > 0 ? [value] : []);
    });
    return value;
  }

  private command(
    command: readonly Operand[],
    dot: unknown,
    file: string,
    line: number,
    depth: number,
    piped: unknown[],
  ): unknown {
    const [head, ...rest] = command;
    if (head!.type !== 'function') {
      if (rest.length > 0 || piped.length > 0) {
        throw new TemplateError(file, line, `can't give an argument to a non-function`);
      }
      return this.operand(head!, dot, file, line, depth);
    }
    const args = [...rest.map((o) => this.operand(o, dot, file, line, depth)), ...piped];
    try {
      if (head.name === 'include') {
        const [name, data] = args;
        if (typeof name !== 'string' || args.length !== 2)
          throw new FunctionError(
            'include takes a template name and the data, e.g. include "x.fullname" .',
          );
        return this.include(name, data, file, line, depth);
      }
      const fn = FUNCTIONS[head.name];
      if (!fn) {
        throw new FunctionError(
          `function "${head.name}" is not part of the chart template language (${FUNCTION_NAMES.join(', ')})`,
        );
      }
      return fn(...args);
    } catch (e) {
      if (e instanceof FunctionError) throw new TemplateError(file, line, e.message);
      throw e;
    }
  }

  private operand(o: Operand, dot: unknown, file: string, line: number, depth: number): unknown {
    switch (o.type) {
      case 'string':
      case 'number':
      case 'bool':
        return o.value;
      case 'nil':
        return null;
      case 'pipeline':
        return this.pipeline(o.pipeline, dot, file, depth);
      case 'function':
        return this.command([o], dot, file, line, depth, []);
      case 'field': {
        let cur: unknown = dot;
        o.path.forEach((key, i) => {
          const at = `.${o.path.slice(0, i + 1).join('.')}`;
          if (cur === null || cur === undefined)
            throw new TemplateError(
              file,
              line,
              `nil pointer evaluating interface {}.${key} (${at})`,
            );
          if (!isMap(cur))
            throw new TemplateError(
              file,
              line,
              `can't evaluate field ${key} in type ${goType(cur)} (${at})`,
            );
          cur = Object.prototype.hasOwnProperty.call(cur, key) ? cur[key] : null;
        });
        return cur ?? null;
      }
    }
  }
}
