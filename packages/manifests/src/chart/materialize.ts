import { sprintf } from '../template/functions';
import { isTrue } from '../template/go';
import type { RenderContext, TemplateSet } from '../template/execute';
import { parseTemplate, type Pipeline } from '../template/parse';
import { parseYamlDocument } from '../yaml';
import {
  hasToken,
  markerOf,
  splitTokens,
  type Condition,
  type Expression,
  type Marker,
} from './tokens';

/** What a conditional field or item becomes when its condition does not hold: nothing. */
export const OMIT: unique symbol = Symbol('omit');

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Evaluates references for one release and set of values, with the chart's named templates. */
export class Evaluator {
  private readonly pipelines = new Map<string, Pipeline>();

  constructor(
    private readonly templates: TemplateSet,
    private readonly context: RenderContext,
  ) {}

  /** What Helm computes for an expression (a `yaml` expression: its text parsed). */
  evaluate(e: Expression): unknown {
    const value = this.templates.evaluate(this.pipeline(e.pipeline), this.context);
    if (e.type === 'yaml') return parseYamlDocument(String(value), e.pipeline) ?? {};
    return structuredClone(value);
  }

  holds(c: Condition): boolean {
    return isTrue(this.templates.evaluate(this.pipeline(c.pipeline), this.context)) !== c.negate;
  }

  private pipeline(text: string): Pipeline {
    let p = this.pipelines.get(text);
    if (!p) {
      const node = parseTemplate(`{{ ${text} }}`, '(reference)').nodes[0];
      if (node?.type !== 'output') throw new Error(`"${text}" is not a pipeline`);
      p = node.pipeline;
      this.pipelines.set(text, p);
    }
    return p;
  }
}

/**
 * A map field that is nothing but one map value's entries, or a list field
 * that is nothing but one list value's items, is left out when that value is
 * empty (the packager emits `{{- if }}` around it); the same rule here.
 */
export function soleSpread(v: unknown): Marker | undefined {
  if (Array.isArray(v)) {
    const m = v.length === 1 ? markerOf(v[0]) : undefined;
    return m?.kind === 'items' ? m : undefined;
  }
  if (isMap(v)) {
    const keys = Object.keys(v);
    const m = keys.length === 1 ? markerOf(keys[0]) : undefined;
    return m?.kind === 'entries' && m.expression.type === 'object' ? m : undefined;
  }
  return undefined;
}

/** The plain value of JSON with value references: what Helm renders for the evaluator's release and values. */
export function materialize(v: unknown, ev: Evaluator, where = ''): unknown {
  if (typeof v === 'string') {
    const m = markerOf(v);
    if (m) return marker(m, ev, where);
    if (hasToken(v)) return interpolate(v, ev, where);
    return v;
  }
  if (Array.isArray(v)) return list(v, ev, where);
  if (isMap(v)) return map(v, ev, where);
  return v;
}

function marker(m: Marker, ev: Evaluator, where: string): unknown {
  switch (m.kind) {
    case 'value':
      return ev.evaluate(m.expression);
    case 'optional': {
      const value = ev.evaluate(m.expression);
      return isTrue(value) ? value : OMIT;
    }
    case 'when':
      return ev.holds(m.condition) ? materialize(m.value, ev, where) : OMIT;
    case 'choose':
      return materialize(ev.holds(m.condition) ? m.then : m.otherwise, ev, where);
    case 'entries':
    case 'items':
      throw new Error(
        `${where}: ${m.expression.pipeline} is a spread: put it into a ${m.kind === 'entries' ? 'map ({ ...x })' : 'list ([...x])'}`,
      );
  }
}

function interpolate(s: string, ev: Evaluator, where: string): string {
  return splitTokens(s)
    .map((part) => {
      if (typeof part === 'string') return part;
      if (
        part.kind !== 'value' ||
        !['string', 'number', 'integer', 'boolean'].includes(part.expression.type)
      ) {
        throw new Error(
          `${where}: only scalar values can be part of a string (${JSON.stringify(s)})`,
        );
      }
      return sprintf('%v', [ev.evaluate(part.expression)]);
    })
    .join('');
}

function list(items: readonly unknown[], ev: Evaluator, where: string): unknown {
  const out: unknown[] = [];
  items.forEach((item, i) => {
    const m = markerOf(item);
    if (m?.kind === 'items') {
      const value = ev.evaluate(m.expression);
      if (value !== null && !Array.isArray(value))
        throw new Error(`${where}: ${m.expression.pipeline} is not a list`);
      out.push(...(value ?? []));
      return;
    }
    const value = materialize(item, ev, `${where}[${i}]`);
    if (value !== OMIT) out.push(value);
  });
  if (out.length === 0 && soleSpread(items)) return OMIT;
  return out;
}

function map(entries: Readonly<Record<string, unknown>>, ev: Evaluator, where: string): unknown {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown, from: string) => {
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new Error(
        `${where}: the key "${key}" is set twice (${from}); a values schema must reserve the keys a map already has`,
      );
    }
    out[key] = value;
  };
  for (const [key, value] of Object.entries(entries)) {
    const path = where ? `${where}.${key}` : key;
    const m = markerOf(key);
    if (m) {
      if (m.kind !== 'entries') throw new Error(`${where}: a map key cannot be a value reference`);
      const spread = ev.evaluate(m.expression);
      if (spread !== null && !isMap(spread))
        throw new Error(`${where}: ${m.expression.pipeline} is not a map`);
      for (const [k, v] of Object.entries(spread ?? {})) put(k, v, `by ${m.expression.pipeline}`);
      continue;
    }
    if (hasToken(key)) throw new Error(`${where}: a map key cannot contain a value reference`);
    const materialized = materialize(value, ev, path);
    if (materialized !== OMIT) put(key, materialized, 'literally');
  }
  if (Object.keys(out).length === 0 && soleSpread(entries)) return OMIT;
  return out;
}
