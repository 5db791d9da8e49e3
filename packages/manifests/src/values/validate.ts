import { ProblemsError } from '@fittech/shared';
import type { ErrorObject } from 'ajv';
import { validatorFor } from './compiled';
import { isRecord, valuesSchemaDocument, type Json, type ValuesDefinition } from './definition';

/** One thing wrong with a set of values: where and why. */
export interface ValuesProblem {
  /** Dotted path such as `image.tag` (`(root)` for the top level). */
  readonly path: string;
  readonly message: string;
}

/** Values that do not meet the chart's schema: the platform's one error shape (`ProblemsError`). */
export class ValuesError extends ProblemsError<ValuesProblem> {
  constructor(problems: readonly ValuesProblem[], source = 'values') {
    super(
      problems,
      source,
      'Fix the values above (see the chart README for each one); nothing was rendered.',
    );
    this.name = 'ValuesError';
  }
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
  const validate = validatorFor(schemaDocument);
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
      // The reason: the `not` schema's description, or (a reserved key) the description beside it.
      const parent = e.parentSchema as Json | undefined;
      const not = parent?.not as Json | undefined;
      const why = typeof not?.description === 'string' ? not.description : parent?.description;
      message = `is not allowed${got}${typeof why === 'string' && why ? `: ${why}` : ''}`;
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
