/**
 * Value references, the way cdk8s's `Lazy` and CDKTF's tokens work: a field
 * of a Kubernetes object is *written* as a reference to a chart value (or to
 * the release, or to a named helper), and the packager finds the references by
 * walking the synthesized objects. Each reference is a token: a short string
 * that stands for a {@link Marker} in a registry. String tokens can be
 * concatenated like any string (`${fullname}-config`); tokens for other types
 * are objects that refuse arithmetic, so a misuse fails loudly instead of
 * producing a wrong number.
 *
 * A marker is one of a closed set of shapes; for each, the packager emits one
 * template form, and {@link HelmChart.toJson} computes what Helm renders.
 */

/** A Go template pipeline and the JSON type of what it yields. */
export interface Expression {
  /** e.g. `.Values.replicaCount`, `include "orders.fullname" .`, `.Release.Namespace` */
  readonly pipeline: string;
  /**
   * `yaml`: a string of YAML (a map's entries, from a named helper such as the labels), emitted
   * with `nindent`; the others are JSON Schema types.
   */
  readonly type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'yaml';
}

/** A value's truth decides: `{{ if <pipeline> }}` (negated: `{{ if not <pipeline> }}`). */
export interface Condition {
  readonly pipeline: string;
  readonly negate: boolean;
}

export type Marker =
  /** The field's whole value: a scalar inline (strings quoted), an object or list as a YAML block. */
  | { readonly kind: 'value'; readonly expression: Expression }
  /** An object or list value whose field is left out when the value is empty. */
  | { readonly kind: 'optional'; readonly expression: Expression }
  /** The entries of a map value (or YAML text) added to a literal map. */
  | { readonly kind: 'entries'; readonly expression: Expression }
  /** The items of a list value added to a literal list. */
  | { readonly kind: 'items'; readonly expression: Expression }
  /** A field, list item or whole value kept only when the condition holds. */
  | { readonly kind: 'when'; readonly condition: Condition; readonly value: unknown }
  /** One of two scalars by a condition. */
  | {
      readonly kind: 'choose';
      readonly condition: Condition;
      readonly then: unknown;
      readonly otherwise: unknown;
    };

const OPEN = '\u{E000}';
const CLOSE = '\u{E001}';
/** Matches every token inside a string. */
export const TOKEN_PATTERN = /\u{E000}(\d+)\u{E001}/gu;
const WHOLE_TOKEN = /^\u{E000}(\d+)\u{E001}$/u;

const registry: Marker[] = [];

/**
 * Registers a marker; returns its token string. The number is zero-padded so
 * that sorting keys (cdk8s sorts every map) keeps tokens in creation order:
 * the templates do not depend on how many tokens a process made before.
 */
export function tokenFor(marker: Marker): string {
  return `${OPEN}${String(registry.push(marker) - 1).padStart(10, '0')}${CLOSE}`;
}

/** The marker of a string that is exactly one token, or undefined. */
export function markerOf(s: unknown): Marker | undefined {
  if (typeof s !== 'string') return undefined;
  const m = WHOLE_TOKEN.exec(s);
  return m ? registry[Number(m[1])] : undefined;
}

/** Does the string contain a token (alone or among literal text)? */
export function hasToken(s: string): boolean {
  return s.includes(OPEN);
}

/** A string split into literal text and the markers of its tokens. */
export function splitTokens(s: string): (string | Marker)[] {
  const parts: (string | Marker)[] = [];
  let last = 0;
  for (const m of s.matchAll(TOKEN_PATTERN)) {
    if (m.index > last) parts.push(s.slice(last, m.index));
    const marker = registry[Number(m[1])];
    if (!marker) throw new Error(`unknown value reference token #${m[1]}`);
    parts.push(marker);
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push(s.slice(last));
  if (parts.some((p) => typeof p === 'string' && p.includes(OPEN))) {
    throw new Error(`a value reference token was cut apart in ${JSON.stringify(s)}`);
  }
  return parts;
}

/**
 * A non-string value reference: it stands in a typed field (a number, a
 * boolean, an object) until synthesis. cdk8s resolves it through `resolve()`
 * (its implicit-token protocol); any attempt to compute with it throws.
 */
export class HelmToken {
  constructor(
    readonly token: string,
    private readonly description: string,
  ) {}

  /** cdk8s's implicit token resolution. */
  resolve(): string {
    return this.token;
  }

  toJSON(): string {
    return this.token;
  }

  /**
   * In a template literal (`${ref}`) it is its token: the packager then writes the
   * string with `printf`. Arithmetic (`ref + 1`, `ref * 2`) throws instead of
   * computing a wrong value.
   */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.token;
    throw new Error(
      `${this.description} is a chart value reference: it has no value until the chart is rendered, ` +
        'so it cannot take part in arithmetic. Write it into a field as it is, put it in a template ' +
        'literal (`${ref}`), or compute in the template (a named helper).',
    );
  }
}

/** The token string of a reference (string token, HelmToken, or nothing). */
export function tokenString(v: unknown): string | undefined {
  if (v instanceof HelmToken) return v.token;
  if (typeof v === 'string' && markerOf(v)) return v;
  return undefined;
}

/** Wraps a marker as the value a typed field receives: a string token for strings, a HelmToken otherwise. */
export function reference<T>(
  marker: Marker,
  type: Expression['type'] | 'any',
  description: string,
): T {
  const token = tokenFor(marker);
  return (type === 'string' ? token : new HelmToken(token, description)) as T;
}
