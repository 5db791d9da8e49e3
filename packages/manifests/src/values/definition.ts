import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { validateValues, ValuesError } from './validate';

/**
 * A chart's values, typed once: a TypeBox schema (which *is* JSON Schema) and
 * its defaults. values.yaml, values.schema.json and the README's values table
 * are all generated from this one definition, so they cannot disagree.
 *
 * Rules (checked by {@link defineValues}): every object is closed
 * (`additionalProperties: false`) unless it is a free-form map of strings;
 * every property is required, so values.yaml lists every value; every value
 * has a `description`, which becomes its `## @param` line.
 */
export interface ValuesDefinition<T = unknown> {
  readonly schema: TObject;
  readonly defaults: T;
}

/** One documented value: a scalar or a free-form map (a leaf of the values tree). */
export interface ValueLeaf {
  /** Dotted path, e.g. `image.tag`. */
  readonly path: string;
  readonly description: string;
  readonly schema: TSchema;
  readonly defaultValue: unknown;
  /** Title of the top-level section it belongs to. */
  readonly section: string;
}

export const JSON_SCHEMA_DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** A JSON object (a schema or a value). */
export type Json = Record<string, unknown>;

const isObjectSchema = (s: Json): boolean =>
  s.type === 'object' && typeof s.properties === 'object';
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Defines a chart's values and checks the rules above; throws naming each violation. */
export function defineValues<S extends TObject>(
  schema: S,
  defaults: Static<S>,
): ValuesDefinition<Static<S>> {
  const definition = { schema, defaults };
  const problems: string[] = [];
  const walk = (s: Json, path: string) => {
    if (!isObjectSchema(s)) {
      if (typeof s.description !== 'string' || s.description.trim() === '') {
        problems.push(`${path}: has no description (it becomes the value's "## @param" line)`);
      }
      return;
    }
    if (s.additionalProperties !== false) {
      problems.push(
        `${path || '(root)'}: objects must set additionalProperties: false so unknown keys are rejected`,
      );
    }
    const props = s.properties as Record<string, Json>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [key, child] of Object.entries(props)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!required.has(key))
        problems.push(`${childPath}: must be required, so values.yaml lists it`);
      walk(child, childPath);
    }
  };
  walk(plain(schema), '');
  if (problems.length > 0) {
    throw new Error(`Invalid values definition:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const invalid = validateValues(definition, defaults);
  if (invalid.length > 0) throw new ValuesError(invalid, 'default values');
  return definition;
}

/** The schema as plain JSON (TypeBox marks its objects with symbols). */
export function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/** values.schema.json: the definition as a JSON Schema draft-07 document. */
export function valuesSchemaDocument(definition: ValuesDefinition): Json {
  return { $schema: JSON_SCHEMA_DRAFT_07, ...plain(definition.schema) };
}

/** Section of a top-level key: its schema's `title` (consecutive keys may share one). */
export function sectionOf(schema: Json): string {
  return typeof schema.title === 'string' ? schema.title : 'General';
}

/** The documented values in definition order. */
export function valueLeaves(definition: ValuesDefinition): ValueLeaf[] {
  const leaves: ValueLeaf[] = [];
  const walk = (s: Json, path: string[], value: unknown, section: string) => {
    if (!isObjectSchema(s)) {
      leaves.push({
        path: path.join('.'),
        description: String(s.description),
        schema: s as TSchema,
        defaultValue: value,
        section,
      });
      return;
    }
    for (const [key, child] of Object.entries(s.properties as Record<string, Json>)) {
      const childValue = isRecord(value) ? value[key] : undefined;
      walk(child, [...path, key], childValue, path.length === 0 ? sectionOf(child) : section);
    }
  };
  walk(plain(definition.schema), [], definition.defaults, '');
  return leaves;
}

/** The subschema at a dotted path, or undefined when the path is not a value. */
export function schemaAt(definition: ValuesDefinition, path: string): Json | undefined {
  let s: Json | undefined = plain(definition.schema);
  for (const key of path.split('.')) {
    const props = s?.properties as Record<string, Json> | undefined;
    s = props?.[key];
    if (!s) return undefined;
  }
  return s;
}

/** The value at a dotted path (undefined when absent). */
export function valueAt(values: unknown, path: string): unknown {
  let cur: unknown = values;
  for (const key of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
