import { Type, type TObject } from '@sinclair/typebox';
import { schemaAt, type Json, type ValuesDefinition } from '../values/definition';
import { reference, tokenFor, type Condition, type Expression } from './tokens';

/** Dotted paths into a values type, e.g. `image.tag`; free-form maps end the path with any key. */
export type ValuePath<T> = T extends readonly unknown[]
  ? never
  : T extends object
    ? {
        [K in keyof T & string]:
          | K
          | (T[K] extends readonly unknown[]
              ? never
              : T[K] extends object
                ? string extends keyof T[K]
                  ? `${K}.${string}`
                  : `${K}.${ValuePath<T[K]>}`
                : never);
      }[keyof T & string]
    : never;

/** The type of the value at a dotted path. */
export type ValueAt<T, P extends string> = P extends `${infer K}.${infer Rest}`
  ? K extends keyof T
    ? ValueAt<T[K], Rest>
    : T extends Readonly<Record<string, infer V>>
      ? V
      : never
  : P extends keyof T
    ? T[P]
    : T extends Readonly<Record<string, infer V>>
      ? V
      : never;

/** The element type of a list type. */
export type Item<T> = T extends readonly (infer I)[] ? I : never;

/** The values every chart built with this package has, as in `helm create`. */
export interface StandardValues {
  readonly global: Readonly<Record<string, unknown>>;
  readonly nameOverride: string;
  readonly fullnameOverride: string;
}

const NAME = '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** The schema of {@link StandardValues}, first in values.yaml. */
export const STANDARD_VALUES_SCHEMA = {
  global: Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    title: 'Global',
    description:
      'Values a parent chart shares with all its subcharts; accepted so this chart can be a dependency (it reads none).',
  }),
  nameOverride: Type.String({
    title: 'Names',
    description:
      'Replaces the chart name in object names and in the app.kubernetes.io/name label (a DNS label).',
    pattern: NAME,
    maxLength: 63,
  }),
  fullnameOverride: Type.String({
    description: 'Replaces the full name of every object (by default "<release>-<chart name>").',
    pattern: NAME,
    maxLength: 63,
  }),
};

export const STANDARD_VALUES_DEFAULTS: StandardValues = {
  global: {},
  nameOverride: '',
  fullnameOverride: '',
};

/** A values definition with the standard values first; refuses a definition that redefines them. */
export function withStandardValues<T>(
  definition: ValuesDefinition<T>,
): ValuesDefinition<T & StandardValues> {
  const { properties, required, ...rest } = definition.schema as unknown as Json & {
    properties: Record<string, unknown>;
    required?: string[];
  };
  for (const key of Object.keys(STANDARD_VALUES_SCHEMA)) {
    if (key in properties) {
      throw new Error(
        `the values "${key}" are defined by every chart; remove them from your values definition`,
      );
    }
  }
  const schema = {
    ...rest,
    type: 'object',
    properties: { ...STANDARD_VALUES_SCHEMA, ...properties },
    required: [...Object.keys(STANDARD_VALUES_SCHEMA), ...(required ?? [])],
  } as unknown as TObject;
  return {
    schema,
    defaults: { ...STANDARD_VALUES_DEFAULTS, ...(definition.defaults as object) } as T &
      StandardValues,
  };
}

/**
 * References to a chart's values, bound where a field is written:
 *
 * ```ts
 * replicas: values.ref('replicaCount'),              // {{ .Values.replicaCount }}
 * resources: values.ref('resources.api'),            // {{- toYaml .Values.resources.api | nindent N }}
 * nodeSelector: values.optional('nodeSelector'),     // the field only when the map is not empty
 * annotations: { ...literal, ...values.entries('podAnnotations') },
 * env: [...contract, ...values.items('extraEnv')],
 * ```
 *
 * Paths are typed: a path that is not a value of the chart does not compile,
 * and one that slips through (a free-form map's key) fails at synthesis with
 * its name. Each reference evaluates to the chart's values when the chart is
 * synthesized and becomes the Helm expression in its template.
 */
export class ChartValues<T> {
  constructor(
    private readonly definition: ValuesDefinition<T>,
    /** The values this synthesis renders (defaults with the overrides coalesced). */
    readonly current: T,
  ) {}

  /** The value at `path` in this field: scalars inline (strings quoted), objects and lists as YAML blocks. */
  ref<P extends ValuePath<T>>(path: P): ValueAt<T, P> {
    const expression = this.expression(path);
    return reference({ kind: 'value', expression }, expression.type, `.Values.${path}`);
  }

  /** An object or list value whose field is left out when it is empty (`{{- if }}` around the field). */
  optional<P extends ValuePath<T>>(path: P): ValueAt<T, P> {
    const expression = this.expression(path, ['object', 'array']);
    return reference({ kind: 'optional', expression }, 'object', `.Values.${path}`);
  }

  /** The entries of a map value, to spread into a literal map: `{ ...literal, ...values.entries('podLabels') }`. */
  entries<P extends ValuePath<T>>(path: P): ValueAt<T, P> {
    const expression = this.expression(path, ['object']);
    return { [tokenFor({ kind: 'entries', expression })]: '' } as ValueAt<T, P>;
  }

  /** The items of a list value, to spread into a literal list: `[...literal, ...values.items('extraEnv')]`. */
  items<P extends ValuePath<T>>(path: P): Item<ValueAt<T, P>>[] {
    const expression = this.expression(path, ['array']);
    return [tokenFor({ kind: 'items', expression }) as Item<ValueAt<T, P>>];
  }

  /** The SHA-256 (hex) of a value as JSON: a pod annotation that rolls the pods when the value changes. */
  checksum<P extends ValuePath<T>>(path: P): string {
    this.expression(path);
    return reference(
      {
        kind: 'value',
        expression: { pipeline: `.Values.${path} | toJson | sha256sum`, type: 'string' },
      },
      'string',
      `checksum of .Values.${path}`,
    );
  }

  /** The condition "the value is set" (Go's truth: not false, 0, "", null, or empty). */
  isSet<P extends ValuePath<T>>(path: P): Condition {
    this.expression(path);
    return { pipeline: `.Values.${path}`, negate: false };
  }

  /** The condition "the value is not set". */
  isNotSet<P extends ValuePath<T>>(path: P): Condition {
    return { ...this.isSet(path), negate: true };
  }

  /**
   * The expression of a value; throws naming the path when it is not a documented value.
   * @internal
   */
  expression(path: string, allowed?: readonly Expression['type'][]): Expression {
    const schema = schemaAt(this.definition, path);
    if (!schema)
      throw new Error(`"${path}" is not a value of this chart (see its values definition)`);
    const type = typeof schema.type === 'string' ? (schema.type as Expression['type']) : undefined;
    if (!type) throw new Error(`the value "${path}" has no single JSON Schema type; give it one`);
    if (allowed && !allowed.includes(type)) {
      throw new Error(
        `the value "${path}" is a ${type}; this reference needs a ${allowed.join(' or ')}`,
      );
    }
    return { pipeline: `.Values.${path}`, type };
  }
}
