import type { Static, TObject, TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { Document, isMap, isScalar, type Pair } from 'yaml';

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

/** One thing wrong with a set of values: where and why. */
export interface ValuesProblem {
  /** Dotted path such as `image.tag` (`(root)` for the top level). */
  readonly path: string;
  readonly message: string;
}

export class ValuesError extends Error {
  constructor(
    readonly problems: readonly ValuesProblem[],
    source = 'values',
  ) {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n') +
        '\nFix the values above (see the chart README for each one); nothing was rendered.',
    );
    this.name = 'ValuesError';
  }
}

export const JSON_SCHEMA_DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

type Json = Record<string, unknown>;

const isObjectSchema = (s: Json): boolean =>
  s.type === 'object' && typeof s.properties === 'object';
const isRecord = (v: unknown): v is Record<string, unknown> =>
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
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/** values.schema.json: the definition as a JSON Schema draft-07 document. */
export function valuesSchemaDocument(definition: ValuesDefinition): Json {
  return { $schema: JSON_SCHEMA_DRAFT_07, ...plain(definition.schema) };
}

/** Section of a top-level key: its schema's `title` (consecutive keys may share one). */
function sectionOf(schema: Json): string {
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

/**
 * Merges user values over the defaults as Helm does: maps merge key by key,
 * lists and scalars replace, and `null` removes a key.
 */
export function mergeValues<T>(base: T, overrides: unknown): T {
  if (!isRecord(base) || !isRecord(overrides))
    return (overrides === undefined ? base : overrides) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else out[key] = key in out ? mergeValues(out[key], value) : value;
  }
  return out as T;
}

const validators = new WeakMap<object, ValidateFunction>();

function compile(schemaDocument: Json): ValidateFunction {
  let validate = validators.get(schemaDocument);
  if (!validate) {
    // Helm ignores unknown keywords and so do we (strict: false); draft-07 is Ajv's default draft.
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    validate = ajv.compile(schemaDocument);
    validators.set(schemaDocument, validate);
  }
  return validate;
}

/**
 * Validates values against a definition (or a parsed values.schema.json) with
 * an independent JSON Schema validator, as `helm install` does before rendering.
 * Returns every problem with its path; empty when the values are valid.
 */
export function validateValues(
  definition: ValuesDefinition | Json,
  values: unknown,
): ValuesProblem[] {
  const schemaDocument =
    'schema' in definition && 'defaults' in definition
      ? documentFor(definition as ValuesDefinition)
      : (definition as Json);
  const validate = compile(schemaDocument);
  if (validate(values)) return [];
  const problems: ValuesProblem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const problem = describe(e, schemaDocument);
    if (!problem) continue;
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

const documents = new WeakMap<object, Json>();
function documentFor(definition: ValuesDefinition): Json {
  let doc = documents.get(definition.schema);
  if (!doc) {
    doc = valuesSchemaDocument(definition);
    documents.set(definition.schema, doc);
  }
  return doc;
}

function describe(e: ErrorObject, schemaDocument: Json): ValuesProblem | undefined {
  // Wrappers: the failing branch of an if/then reports itself; a property-name
  // failure is reported by its propertyNames error.
  if (e.keyword === 'if' || e.propertyName !== undefined) return undefined;
  const segments = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const parent = segments.join('.');
  const at = (key: string) => (parent ? `${parent}.${key}` : key);
  const got = ` (got ${show(e.data)})`;
  const hint = explanation(e.schemaPath, schemaDocument);
  let path = parent || '(root)';
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties': {
      path = at(String(e.params.additionalProperty));
      const known = Object.keys((e.parentSchema as Json | undefined)?.properties ?? {});
      message = `is not a known value; ${parent || 'the top level'} accepts only: ${known.join(', ')}`;
      break;
    }
    case 'required':
      path = at(String(e.params.missingProperty));
      message = 'is required';
      break;
    case 'propertyNames': {
      const description = (e.parentSchema as Json | undefined)?.propertyNames as Json | undefined;
      message = `key "${String(e.params.propertyName)}" is not allowed${description?.description ? `: ${String(description.description)}` : ''}`;
      break;
    }
    case 'type':
      message = `must be ${e.params.type === 'integer' ? 'a whole number' : `a ${String(e.params.type)}`}${got}`;
      break;
    case 'not': {
      const not = (e.parentSchema as Json | undefined)?.not as Json | undefined;
      message = `is not allowed${got}${typeof not?.description === 'string' ? `: ${not.description}` : ''}`;
      break;
    }
    case 'const':
      message = `must be ${show(e.params.allowedValue)}${got}`;
      break;
    case 'minLength':
      message =
        e.params.limit === 1 ? `must not be empty${got}` : `${e.message ?? 'is too short'}${got}`;
      break;
    default:
      message = `${e.message ?? 'is invalid'}${got}`;
  }
  return { path, message: hint ? `${message}: ${hint}` : message };
}

/** The description of the innermost `then` branch an error came from: the rule, in words. */
function explanation(schemaPath: string, schemaDocument: Json): string | undefined {
  const parts = schemaPath.replace(/^#\//, '').split('/');
  const thenIndex = parts.lastIndexOf('then');
  if (thenIndex === -1) return undefined;
  let s: unknown = schemaDocument;
  for (const p of parts.slice(0, thenIndex + 1))
    s = isRecord(s) || Array.isArray(s) ? (s as Json)[p] : undefined;
  return isRecord(s) && typeof s.description === 'string' ? s.description : undefined;
}

function show(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return 'nothing';
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

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
